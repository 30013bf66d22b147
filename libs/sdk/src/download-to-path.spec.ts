import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '@dfs/test-cluster';
import { downloadFile } from './download-file.js';
import { uploadFile } from './upload-file.js';
import { KiB } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// Downloads to a local path take the client's maxChunkReads slots, one per
// chunk fetched; real cluster.
jest.setTimeout(120_000);

const CHUNK = 64 * KiB;
const WHOLE_SLOT = 8 * 1024 * KiB;
const sdk = useSdkCluster('download-slots', { datanodes: 3, replication: 3, client: 'context', clientOptions: { maxChunkReads: 2 }, scratch: true });

/** Takes all the room of the client's two read slots; returns what gives it back (once). */
async function takeAllReads(): Promise<() => void> {
  await sdk.ctx.chunkReads.acquire(WHOLE_SLOT);
  await sdk.ctx.chunkReads.acquire(WHOLE_SLOT);
  let held = true;
  return () => {
    if (held) for (let i = 0; i < 2; i++) sdk.ctx.chunkReads.release(WHOLE_SLOT);
    held = false;
  };
}

describe('a download to a path', () => {
  it('fetches nothing while the client read slots are taken, and all of it once they are free', async () => {
    const data = randomBytes(5 * CHUNK + 7);
    await uploadFile(sdk.ctx, '/slots/file', data, { chunkSize: CHUNK });
    const release = await takeAllReads();
    let loaded = 0;
    const local = join(sdk.scratch, 'file');
    const download = downloadFile(sdk.ctx, '/slots/file', local, { concurrency: 4, onProgress: (p) => (loaded = p.loaded) });
    try {
      // Its four tasks queue for room, and nothing is fetched meanwhile.
      expect(await eventually(async () => sdk.ctx.chunkReads.waiting === 4)).toBe(true);
      expect(loaded).toBe(0);
    } finally {
      release();
    }
    await download;
    expect(loaded).toBe(data.length);
    expect((await readFile(local)).equals(data)).toBe(true);
    expect(sdk.ctx.chunkReads.inUse).toBe(0);
  });

  it('waiting for a slot can be aborted', async () => {
    await uploadFile(sdk.ctx, '/slots/aborted', randomBytes(CHUNK), { chunkSize: CHUNK });
    const release = await takeAllReads();
    try {
      const controller = new AbortController();
      const download = downloadFile(sdk.ctx, '/slots/aborted', join(sdk.scratch, 'aborted'), { signal: controller.signal });
      expect(await eventually(async () => sdk.ctx.chunkReads.waiting === 1)).toBe(true);
      controller.abort();
      await expect(download).rejects.toMatchObject({ code: 'Canceled' });
      expect(sdk.ctx.chunkReads.waiting).toBe(0);
      expect(sdk.ctx.chunkReads.inUse).toBe(16);
    } finally {
      release();
    }
    expect(sdk.ctx.chunkReads.inUse).toBe(0);
  });
});

/** The partial files of `name` left in the scratch directory. */
async function partialsOf(name: string): Promise<string[]> {
  return (await readdir(sdk.scratch)).filter((n) => n.startsWith(`${name}.dfs-partial-`));
}

// Two `dfs get`s into one directory both pass the CLI's check that the local
// file is new; the one that ends last must not replace the other's file.
describe('a download to a path, when a local file appears at it meanwhile', () => {
  const theirs = Buffer.from('written by someone else during the download');

  /** Downloads a fresh 3-chunk file to `name`, writing `theirs` there once the first bytes arrived. */
  async function race(name: string, overwrite: boolean): Promise<{ local: string; data: Buffer; download: Promise<unknown> }> {
    const data = randomBytes(3 * CHUNK);
    await uploadFile(sdk.ctx, `/race/${name}`, data, { chunkSize: CHUNK });
    const local = join(sdk.scratch, name);
    let written = false;
    const onProgress = () => {
      if (!written) writeFileSync(local, theirs);
      written = true;
    };
    const download = downloadFile(sdk.ctx, `/race/${name}`, local, { concurrency: 2, overwrite, onProgress });
    return { local, data, download: download.catch((err: unknown) => err) };
  }

  it('without overwrite fails with AlreadyExists naming the path, keeps that file and leaves no partial file', async () => {
    const { local, download } = await race('kept', false);
    expect(await download).toMatchObject({ code: 'AlreadyExists', message: expect.stringContaining(local) });
    expect((await readFile(local)).equals(theirs)).toBe(true);
    expect(await partialsOf('kept')).toEqual([]);
  });

  it('with overwrite replaces it', async () => {
    const { local, data, download } = await race('replaced', true);
    expect(await download).toMatchObject({ path: '/race/replaced', size: data.length });
    expect((await readFile(local)).equals(data)).toBe(true);
    expect(await partialsOf('replaced')).toEqual([]);
  });

  it('without overwrite fetches nothing when the path exists from the start', async () => {
    await uploadFile(sdk.ctx, '/race/early', randomBytes(CHUNK), { chunkSize: CHUNK });
    const local = join(sdk.scratch, 'early');
    await writeFile(local, theirs);
    const onProgress = jest.fn();
    await expect(downloadFile(sdk.ctx, '/race/early', local, { overwrite: false, onProgress })).rejects.toMatchObject({ code: 'AlreadyExists' });
    expect(onProgress).not.toHaveBeenCalled();
    expect((await readFile(local)).equals(theirs)).toBe(true);
    expect(await partialsOf('early')).toEqual([]);
  });
});
