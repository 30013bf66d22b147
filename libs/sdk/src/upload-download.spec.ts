import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UploadProgress } from './index.js';
import { KiB, SOURCE_KINDS, collector, sha256, sourceOf } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// Round trips through a real cluster (coordinator + 3 datanodes, R=3) with
// 64 KiB chunks, for every source kind and the sizes around chunk edges.
jest.setTimeout(120_000);

const CHUNK = 64 * KiB;
const SIZES = { empty: 0, 'one byte': 1, 'one chunk less a byte': CHUNK - 1, 'exactly one chunk': CHUNK, 'one chunk and a byte': CHUNK + 1, 'several chunks': 5 * CHUNK + 123 };

const sdk = useSdkCluster('roundtrip', { datanodes: 3, replication: 3, scratch: true });

describe.each(SOURCE_KINDS)('upload from a %s source', (kind) => {
  it.each(Object.entries(SIZES))('round-trips %s, downloaded to a path and to a Writable', async (label, size) => {
    const data = randomBytes(size);
    const remote = `/roundtrip/${kind}/${label.replace(/ /g, '-')}`;
    const info = await sdk.dfs.upload(remote, await sourceOf(kind, data, sdk.scratch), { chunkSize: CHUNK, concurrency: 3 });
    expect(info).toMatchObject({ path: remote, isDirectory: false, size, sha256: sha256(data), chunkSize: CHUNK, replication: 3, chunkCount: Math.ceil(size / CHUNK) });
    expect(info.fileId).not.toBe('');
    expect(info.createdAt).toBeInstanceOf(Date);

    const local = join(sdk.scratch, `${kind}-${size}.out`);
    expect(await sdk.dfs.download(remote, local)).toEqual(info);
    expect((await readFile(local)).equals(data)).toBe(true);

    const { sink, bytes } = collector();
    expect(await sdk.dfs.download(remote, sink, { concurrency: 2 })).toEqual(info);
    expect(bytes().equals(data)).toBe(true);
    expect(sink.writableEnded).toBe(true);
  });
});

describe('upload', () => {
  it('reports monotonic progress up to the whole size and chunk count', async () => {
    const data = randomBytes(7 * CHUNK + 5);
    const seen: UploadProgress[] = [];
    await sdk.dfs.upload('/progress/file', data, { chunkSize: CHUNK, onProgress: (p) => seen.push({ ...p }) });
    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.loaded).toBeGreaterThanOrEqual(seen[i - 1]!.loaded);
    expect(seen.at(-1)).toEqual({ loaded: data.length, total: data.length, chunks: 8 });
  });

  it('reports no total for a stream, and removes its spool files', async () => {
    const spools = async () => (await readdir(tmpdir())).filter((n) => n.startsWith('dfs-upload-'));
    const before = await spools();
    const data = randomBytes(3 * CHUNK + 1);
    const seen: UploadProgress[] = [];
    await sdk.dfs.upload('/progress/stream', await sourceOf('readable', data, sdk.scratch), { chunkSize: CHUNK, onProgress: (p) => seen.push({ ...p }) });
    expect(seen.at(-1)).toEqual({ loaded: data.length, total: undefined, chunks: 4 });
    expect((await spools()).filter((n) => !before.includes(n))).toEqual([]);
  });

  it('uses the coordinator defaults when no chunk size or replication is given', async () => {
    const info = await sdk.dfs.upload('/defaults/file', randomBytes(1000));
    expect(info.chunkSize).toBe(8 * 1024 * 1024);
    expect(info.replication).toBe(3);
  });

  it('replaces a file with overwrite, atomically at commit', async () => {
    await sdk.dfs.upload('/overwrite/file', Buffer.from('old'));
    await expect(sdk.dfs.upload('/overwrite/file', Buffer.from('new'))).rejects.toMatchObject({ name: 'DfsError', code: 'AlreadyExists' });
    const info = await sdk.dfs.upload('/overwrite/file', Buffer.from('newer'), { overwrite: true });
    expect(info.size).toBe(5);
    expect((await sdk.dfs.stat('/overwrite/file')).fileId).toBe(info.fileId);
  });

  it('accepts a path with repeated and trailing slashes as its canonical form', async () => {
    const info = await sdk.dfs.upload('//slashes//file/', Buffer.from('x'));
    expect(info.path).toBe('/slashes/file');
  });
});

describe('download to a path', () => {
  it('replaces an existing local file and leaves no partial file behind', async () => {
    const data = randomBytes(4 * CHUNK);
    await sdk.dfs.upload('/download/replace', data, { chunkSize: CHUNK });
    const local = join(sdk.scratch, 'replace-me.bin');
    await writeFile(local, 'previous contents');
    const seen: Array<{ loaded: number; total: number; chunks: number }> = [];
    await sdk.dfs.download('/download/replace', local, { concurrency: 4, onProgress: (p) => seen.push({ ...p }) });
    expect((await readFile(local)).equals(data)).toBe(true);
    expect(seen.at(-1)).toEqual({ loaded: data.length, total: data.length, chunks: 4 });
    expect((await readdir(sdk.scratch)).filter((n) => n.includes('.dfs-partial-'))).toEqual([]);
  });

  it('fails with NotFound for a missing file and creates nothing locally', async () => {
    const local = join(sdk.scratch, 'never.bin');
    await expect(sdk.dfs.download('/download/missing', local)).rejects.toMatchObject({ code: 'NotFound', message: '/download/missing does not exist' });
    expect((await readdir(sdk.scratch)).filter((n) => n.startsWith('never.bin'))).toEqual([]);
  });

  it('refuses a directory with FailedPrecondition', async () => {
    await sdk.dfs.upload('/download/dir/file', Buffer.from('x'));
    await expect(sdk.dfs.download('/download/dir', join(sdk.scratch, 'dir.bin'))).rejects.toMatchObject({ code: 'FailedPrecondition', message: expect.stringMatching(/is a directory/) });
  });
});
