import { mkdir, open, readdir, rename, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Code, newChunkId } from '@dfs/proto';
import { chunkFileLength } from './chunk-header.js';
import { createChunkStore } from './create-chunk-store.js';
import { fsyncDir } from './file-io.js';
import { filesUnder, putChunk, random, readRange, rejection, useTempDir } from './test/store-fixtures.js';

// Directory fsyncs still happen, and are recorded.
jest.mock('./file-io.js', () => {
  const actual = jest.requireActual('./file-io.js');
  return { ...actual, fsyncDir: jest.fn(actual.fsyncDir) };
});

describe('createChunkStore', () => {
  const tmp = useTempDir();
  const pathOf = (id: string) => join(tmp.dir, 'chunks', id.slice(0, 2), id.slice(2, 4), `${id}.chunk`);

  it('makes a data directory it had to create durable in its parent, up to the first directory that existed', async () => {
    const root = join(tmp.dir, 'new', 'data');
    jest.mocked(fsyncDir).mockClear();
    const store = await createChunkStore(root);
    try {
      const synced = jest.mocked(fsyncDir).mock.calls.map(([dir]) => dir);
      expect(synced).toEqual(expect.arrayContaining([tmp.dir, join(tmp.dir, 'new'), root]));
    } finally {
      await store.close();
    }
  });

  it('creates the layout in an empty directory and reports an empty store', async () => {
    const store = await tmp.open();
    expect(store.dir).toBe(tmp.dir);
    expect(store.startupReport).toEqual({ chunks: 0, quarantined: 0, tempFilesRemoved: 0 });
    expect((await readdir(tmp.dir)).sort()).toEqual(['chunks', 'quarantine', 'tmp']);
    const usage = await store.usage();
    expect(usage).toMatchObject({ usedBytes: 0, chunkCount: 0 });
    expect(usage.capacityBytes).toBeGreaterThan(0);
  });

  it('rejects a bad capacity', async () => {
    const err = await rejection(createChunkStore(tmp.dir, { capacityBytes: -1 }));
    expect([err.code, err.reason]).toEqual([Code.InvalidArgument, 'CONFIG']);
  });

  it('fails with a clear error when the directory cannot be used', async () => {
    await writeFile(join(tmp.dir, 'file'), 'x');
    const err = await rejection(createChunkStore(join(tmp.dir, 'file')));
    expect(err.message).toMatch(/opening chunk store/);
  });

  it('on reopen removes leftover temp files, quarantines damaged and misplaced chunk files, and serves the good ones', async () => {
    let store = await tmp.open();
    const good = [random(10), random(70_000), random(200_000)];
    const goodIds: string[] = [];
    for (const d of good) goodIds.push((await putChunk(store, d)).chunkId);
    const [truncated, flipped, misplaced] = [random(100_000), random(5000), random(300)];
    const truncatedId = (await putChunk(store, truncated)).chunkId;
    const flippedId = (await putChunk(store, flipped)).chunkId;
    const misplacedId = (await putChunk(store, misplaced)).chunkId;
    // A writer that never committed (its process "crashed").
    const open1 = await store.createWriter({ chunkId: newChunkId() });
    await open1.write(random(1000));
    const leftover = (await filesUnder(join(tmp.dir, 'tmp')))[0];
    await store.close(); // removes open1's temp file, so put a leftover back by hand
    await writeFile(join(tmp.dir, 'tmp', leftover), random(1000));
    await writeFile(join(tmp.dir, 'tmp', `${newChunkId()}.abc.tmp`), '');

    // (a) truncated data, (b) one flipped header byte, (c) a file under the wrong prefix.
    await truncate(pathOf(truncatedId), chunkFileLength(100_000) - 1);
    const fh = await open(pathOf(flippedId), 'r+');
    await fh.write(Buffer.from([0x42]), 0, 1, 33);
    await fh.close();
    const wrongDir = join(tmp.dir, 'chunks', misplacedId.slice(0, 2), misplacedId.slice(2, 4) === '00' ? '01' : '00');
    await mkdir(wrongDir, { recursive: true });
    await rename(pathOf(misplacedId), join(wrongDir, `${misplacedId}.chunk`));
    // Strays: a file where a prefix directory belongs, and a file that is not a chunk.
    await writeFile(join(tmp.dir, 'chunks', 'stray'), 'x');
    await writeFile(join(tmp.dir, 'chunks', goodIds[0].slice(0, 2), goodIds[0].slice(2, 4), 'notes.txt'), 'x');

    const onCorrupt = jest.fn();
    store = await tmp.open({ onCorrupt });
    expect(store.startupReport).toEqual({ chunks: 3, quarantined: 5, tempFilesRemoved: 2 });
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
    expect(onCorrupt.mock.calls.map((c) => c[0]).sort()).toEqual([truncatedId, flippedId, misplacedId].sort());
    expect(await readdir(join(tmp.dir, 'quarantine'))).toHaveLength(5);

    for (const id of [truncatedId, flippedId, misplacedId]) {
      expect(await store.has(id)).toBe(false);
      expect((await rejection(store.openReader(id))).code).toBe(Code.NotFound);
    }
    for (const [i, id] of goodIds.entries()) {
      const r = await store.openReader(id);
      expect((await readRange(r, { offset: 0, length: 0 })).data.equals(good[i])).toBe(true);
      await r.close();
    }
    const usage = await store.usage();
    expect(usage.chunkCount).toBe(3);
    expect(usage.usedBytes).toBe(good.reduce((n, d) => n + chunkFileLength(d.length), 0));
  });

  it('keeps the scan going when onCorrupt throws', async () => {
    let store = await tmp.open();
    const id = (await putChunk(store, random(10))).chunkId;
    await store.close();
    await truncate(pathOf(id), 5);
    const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn() };
    store = await tmp.open({
      logger,
      onCorrupt: () => {
        throw new Error('observer bug');
      },
    });
    expect(store.startupReport.quarantined).toBe(1);
    expect(logger.error).toHaveBeenCalled();
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ chunkId: id }), expect.any(String));
  });
});
