import { randomBytes } from 'node:crypto';
import { readdir, readlink } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { eventually } from '@dfs/test-cluster';
import type * as OpenChunkSource from './open-chunk-source.js';
import { KiB, sha256, sourceOf } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// What an upload leaves behind locally once it has ended (its spool files,
// the caller's stream), and that freeing its source cannot change how it
// ended. Real cluster, one datanode.
jest.setTimeout(60_000);

/** While set, every upload source's close() fails with it (after freeing what it holds). */
let mockCloseFailure: Error | undefined;
jest.mock('./open-chunk-source.js', () => {
  const actual = jest.requireActual<typeof OpenChunkSource>('./open-chunk-source.js');
  return {
    ...actual,
    openChunkSource: async (input: Parameters<typeof actual.openChunkSource>[0]) => {
      const source = await actual.openChunkSource(input);
      const close = source.close.bind(source);
      source.close = async () => {
        await close();
        if (mockCloseFailure) throw mockCloseFailure;
      };
      return source;
    },
  };
});

const CHUNK = 64 * KiB;
const sdk = useSdkCluster('upload-cleanup', { datanodes: 1, replication: 1, scratch: true });
/** Spool files of uploads this process still holds open (from /proc: DFS runs on Linux). */
async function openSpoolFiles(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t.includes('/dfs-upload-'));
}

describe('an upload from a stream that stalls mid-chunk', () => {
  it('aborted: by the time upload() rejects, the spool file is closed and the stream destroyed', async () => {
    const input = new PassThrough();
    // 100 bytes, then nothing: an idle socket, a pipe, stdin.
    input.write(randomBytes(100));
    const controller = new AbortController();
    const upload = sdk.dfs.upload('/cleanup/aborted', input, { chunkSize: CHUNK, signal: controller.signal });
    // Once the 100 bytes are spooled and the upload waits for more.
    expect(await eventually(async () => (await openSpoolFiles()).length === 1)).toBe(true);
    controller.abort();
    await expect(upload).rejects.toMatchObject({ name: 'DfsError', code: 'Canceled' });
    expect(await openSpoolFiles()).toEqual([]);
    expect(input.destroyed).toBe(true);
  });

  it('failed by a chunk: the same, although the caller never aborted', async () => {
    const input = new PassThrough();
    // A whole chunk, stored next; then 100 bytes of the next one, and nothing.
    input.write(randomBytes(CHUNK + 100));
    const failure = new Error('the progress handler failed');
    const upload = sdk.dfs.upload('/cleanup/failed', input, {
      chunkSize: CHUNK,
      concurrency: 2,
      // Thrown once chunk 0 is stored: a failure of the upload that is no abort.
      onProgress: (p) => {
        if (p.chunks > 0) throw failure;
      },
    });
    await expect(upload).rejects.toMatchObject({ name: 'DfsError', message: expect.stringContaining(failure.message) });
    expect(await openSpoolFiles()).toEqual([]);
    expect(input.destroyed).toBe(true);
  });
});

describe('an upload whose source fails to close', () => {
  afterEach(() => (mockCloseFailure = undefined));

  it('still resolves with the committed file', async () => {
    mockCloseFailure = new Error('close failed');
    const data = randomBytes(CHUNK + 1);
    const info = await sdk.dfs.upload('/cleanup/committed', await sourceOf('path', data, sdk.scratch), { chunkSize: CHUNK });
    expect(info).toMatchObject({ path: '/cleanup/committed', size: data.length, sha256: sha256(data) });
  });

  it('rejects with why it failed, not with the close failure', async () => {
    await sdk.dfs.upload('/cleanup/exists', Buffer.from('first'));
    mockCloseFailure = new Error('close failed');
    await expect(sdk.dfs.upload('/cleanup/exists', await sourceOf('path', Buffer.from('second'), sdk.scratch))).rejects.toMatchObject({ code: 'AlreadyExists' });
  });
});
