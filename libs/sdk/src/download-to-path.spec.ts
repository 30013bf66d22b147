import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, startCluster, type TestCluster } from '@dfs/test-cluster';
import { createClientContext, type ClientContext } from './client-context.js';
import { downloadFile } from './download-file.js';
import { uploadFile } from './upload-file.js';
import { KiB, scratchDir } from './test/sources.js';

// Downloads to a local path take the client's maxChunkReads slots, one per
// chunk fetched; real cluster.
jest.setTimeout(120_000);

const CHUNK = 64 * KiB;
let cluster: TestCluster;
let ctx: ClientContext;
let scratch: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  cluster = await startCluster({ datanodes: 3, replication: 3, name: 'sdk-download-slots' });
  ctx = createClientContext({ coordinators: cluster.coordinator.address, maxChunkReads: 2 });
  scratch = await scratchDir();
});

afterAll(async () => {
  await ctx?.close();
  await cluster?.stop();
  await scratch?.cleanup();
});

describe('a download to a path', () => {
  it('fetches nothing while the client read slots are taken, and all of it once they are free', async () => {
    const data = randomBytes(5 * CHUNK + 7);
    await uploadFile(ctx, '/slots/file', data, { chunkSize: CHUNK });
    await ctx.chunkReads.acquire(2);
    let held = true;
    const release = () => {
      if (held) ctx.chunkReads.release(2);
      held = false;
    };
    let loaded = 0;
    const local = join(scratch.dir, 'file');
    const download = downloadFile(ctx, '/slots/file', local, { concurrency: 4, onProgress: (p) => (loaded = p.loaded) });
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(loaded).toBe(0);
    } finally {
      release();
    }
    await download;
    expect(loaded).toBe(data.length);
    expect((await readFile(local)).equals(data)).toBe(true);
    expect(ctx.chunkReads.inUse).toBe(0);
  });

  it('waiting for a slot can be aborted', async () => {
    await uploadFile(ctx, '/slots/aborted', randomBytes(CHUNK), { chunkSize: CHUNK });
    await ctx.chunkReads.acquire(2);
    try {
      const controller = new AbortController();
      const download = downloadFile(ctx, '/slots/aborted', join(scratch.dir, 'aborted'), { signal: controller.signal });
      expect(await eventually(async () => ctx.chunkReads.waiting === 1)).toBe(true);
      controller.abort();
      await expect(download).rejects.toMatchObject({ code: 'Canceled' });
      expect(ctx.chunkReads.waiting).toBe(0);
      expect(ctx.chunkReads.inUse).toBe(2);
    } finally {
      ctx.chunkReads.release(2);
    }
    expect(ctx.chunkReads.inUse).toBe(0);
  });
});
