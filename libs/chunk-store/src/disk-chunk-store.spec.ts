import fsp, { open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_BLOCK_SIZE, Code, bytesEqual, chunkSha256, newChunkId } from '@dfs/proto';
import { CHUNK_HEADER_SIZE, chunkFileLength } from './chunk-header.js';
import type { ChunkInfo, ChunkStore } from './chunk-store.js';
import type { DiskChunkStore } from './disk-chunk-store.js';

// Directory fsyncs still happen, and are recorded.
jest.mock('./file-io.js', () => {
  const actual = jest.requireActual('./file-io.js');
  return { ...actual, fsyncDir: jest.fn(actual.fsyncDir) };
});
import { ChunkPaths } from './chunk-paths.js';
import { fsyncDir } from './file-io.js';
import { chunkFilePath, filesUnder, flipByte, putChunk, random, readRange, rejection, useTempDir } from './test/store-fixtures.js';

describe('DiskChunkStore', () => {
  const tmp = useTempDir();
  let store: ChunkStore;
  beforeEach(async () => {
    store = await tmp.open();
  });

  describe('rejects bad chunk ids before touching the disk', () => {
    const valid = newChunkId();
    const bad = ['../../etc/passwd', valid.toUpperCase(), valid.slice(1), valid + '0', '', `${valid.slice(0, 30)}/x`, 'g'.repeat(32)];
    const calls: [string, (s: ChunkStore, id: string) => Promise<unknown>][] = [
      ['createWriter', (s, id) => s.createWriter({ chunkId: id, size: 1 })],
      ['openReader', (s, id) => s.openReader(id)],
      ['stat', (s, id) => s.stat(id)],
      ['has', (s, id) => s.has(id)],
      ['delete', (s, id) => s.delete(id)],
      ['quarantine', (s, id) => s.quarantine(id, 'test')],
    ];
    it.each(calls)('%s', async (_name, call) => {
      const before = await readdir(tmp.dir, { recursive: true });
      for (const id of bad) {
        const err = await rejection(call(store, id));
        expect([err.code, err.reason]).toEqual([Code.InvalidArgument, 'BAD_CHUNK_ID']);
      }
      expect(await readdir(tmp.dir, { recursive: true })).toEqual(before);
    });
  });

  it('stats a chunk and says whether it has one', async () => {
    const data = random(1234);
    const info = await putChunk(store, data, { uploadId: 'u-42' });
    const stat = (await store.stat(info.chunkId))!;
    expect(stat).toEqual(info);
    expect(bytesEqual(stat.sha256, chunkSha256(data))).toBe(true);
    expect(Math.abs(stat.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await store.has(info.chunkId)).toBe(true);
    expect(await store.stat(newChunkId())).toBeUndefined();
    expect(await store.has(newChunkId())).toBe(false);
  });

  it('stat fails with DataLoss on a damaged header and quarantines the chunk', async () => {
    const onCorrupt = jest.fn();
    await store.close();
    store = await tmp.open({ onCorrupt });
    const { chunkId } = await putChunk(store, random(100));
    const fh = await open(join(tmp.dir, 'chunks', chunkId.slice(0, 2), chunkId.slice(2, 4), `${chunkId}.chunk`), 'r+');
    await fh.write(Buffer.from('X'), 0, 1, 100);
    await fh.close();
    const err = await rejection(store.stat(chunkId));
    expect([err.code, err.reason]).toEqual([Code.DataLoss, 'CORRUPT_CHUNK']);
    expect(onCorrupt).toHaveBeenCalledWith(chunkId, 'header checksum mismatch');
    expect(await store.stat(chunkId)).toBeUndefined();
    expect((await store.usage()).chunkCount).toBe(0);
  });

  it('deletes durably and says whether the chunk was there', async () => {
    const a = await putChunk(store, random(500));
    const b = await putChunk(store, random(600));
    expect(await store.delete(a.chunkId)).toBe(true);
    expect(await store.delete(a.chunkId)).toBe(false);
    expect(await store.has(a.chunkId)).toBe(false);
    expect(await store.has(b.chunkId)).toBe(true);
    expect((await store.usage()).chunkCount).toBe(1);
  });

  it('installs and deletes many chunks of one directory at once, each durable before it resolves', async () => {
    // One prefix, so every rename and unlink lands in chunks/cd/ef and their fsyncs are shared.
    const ids = Array.from({ length: 30 }, () => 'cdef' + newChunkId().slice(4));
    const datas = ids.map(() => random(3000));
    await Promise.all(ids.map((chunkId, i) => putChunk(store, datas[i]!, { chunkId })));
    const again = await tmp.open();
    for (const [i, id] of ids.entries()) expect(bytesEqual((await again.stat(id))!.sha256, chunkSha256(datas[i]!))).toBe(true);
    expect(await Promise.all(ids.slice(0, 20).map((id) => store.delete(id)))).toEqual(Array(20).fill(true));
    expect((await store.usage()).chunkCount).toBe(10);
    expect(await readdir(join(tmp.dir, 'chunks', 'cd', 'ef'))).toHaveLength(10);
  });

  it('makes its prefix directories again when they were removed by hand while it ran', async () => {
    const id = () => 'ab12' + newChunkId().slice(4);
    const first = await putChunk(store, random(100), { chunkId: id() });
    await store.delete(first.chunkId);
    await rm(join(tmp.dir, 'chunks', 'ab', '12'), { recursive: true });
    const second = await putChunk(store, random(100), { chunkId: id() });
    await store.delete(second.chunkId);
    await rm(join(tmp.dir, 'chunks', 'ab'), { recursive: true });
    const third = await putChunk(store, random(100), { chunkId: id() });
    const again = await tmp.open();
    expect(await again.has(third.chunkId)).toBe(true);
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
  });

  it('lists every chunk by walking the disk', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 25; i++) ids.add((await putChunk(store, random(1 + i * 10))).chunkId);
    const seen: ChunkInfo[] = [];
    for await (const info of store.list()) seen.push(info);
    expect(new Set(seen.map((i) => i.chunkId))).toEqual(ids);
    expect(seen).toHaveLength(25);
    // A second store over the same directory finds the same chunks (nothing is kept in memory).
    const other = await tmp.open();
    let n = 0;
    for await (const info of other.list()) n += ids.has(info.chunkId) ? 1 : 0;
    expect(n).toBe(25);
  });

  it('leaves out (and quarantines) a chunk whose header turns out damaged while listing', async () => {
    const onCorrupt = jest.fn();
    await store.close();
    store = await tmp.open({ onCorrupt });
    const good = await putChunk(store, random(10));
    const bad = await putChunk(store, random(10));
    const fh = await open(join(tmp.dir, 'chunks', bad.chunkId.slice(0, 2), bad.chunkId.slice(2, 4), `${bad.chunkId}.chunk`), 'r+');
    await fh.write(Buffer.from('?'), 0, 1, 3);
    await fh.close();
    const seen: string[] = [];
    for await (const info of store.list()) seen.push(info.chunkId);
    expect(seen).toEqual([good.chunkId]);
    expect(onCorrupt).toHaveBeenCalledWith(bad.chunkId, expect.any(String));
    expect((await store.usage()).chunkCount).toBe(1);
  });

  it('stops a listing when the signal aborts, and lists an empty store as nothing', async () => {
    for await (const _ of store.list()) throw new Error('empty store listed a chunk');
    for (let i = 0; i < 3; i++) await putChunk(store, random(10));
    const ac = new AbortController();
    const err = await rejection(
      (async () => {
        for await (const _ of store.list({ signal: ac.signal })) ac.abort();
      })(),
    );
    expect(err.code).toBe(Code.Canceled);
  });

  it('keeps usage counters up to date on commit, delete and quarantine', async () => {
    const sizes = [1, 70_000, 300_000];
    const infos = [];
    for (const n of sizes) infos.push(await putChunk(store, random(n)));
    const total = sizes.reduce((s, n) => s + chunkFileLength(n), 0);
    let u = await store.usage();
    expect(u).toMatchObject({ usedBytes: total, chunkCount: 3 });
    expect(u.freeBytes).toBeLessThanOrEqual(u.capacityBytes - u.usedBytes);
    await store.delete(infos[0].chunkId);
    await store.quarantine(infos[1].chunkId, 'operator says so');
    await store.quarantine(infos[1].chunkId, 'again: a no-op');
    u = await store.usage();
    expect(u).toMatchObject({ usedBytes: chunkFileLength(300_000), chunkCount: 1 });
    expect(await readdir(join(tmp.dir, 'quarantine'))).toHaveLength(1);
  });

  it('reports the configured capacity, free space capped by it', async () => {
    await store.close();
    store = await tmp.open({ capacityBytes: 10_000 });
    await putChunk(store, random(4000));
    expect(await store.usage()).toEqual({ capacityBytes: 10_000, usedBytes: chunkFileLength(4000), freeBytes: 10_000 - chunkFileLength(4000), chunkCount: 1 });
  });

  it('close() aborts open writers (temp files removed) and then refuses every call', async () => {
    const w1 = await store.createWriter({ chunkId: newChunkId() });
    const w2 = await store.createWriter({ chunkId: newChunkId(), size: 10 });
    await w1.write(random(100));
    const kept = await putChunk(store, random(10));
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toHaveLength(2);
    await store.close();
    await store.close();
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
    for (const p of [
      w1.write(random(1)),
      w2.commit({ sha256: new Uint8Array(32) }),
      store.createWriter({ chunkId: newChunkId() }),
      store.openReader(kept.chunkId),
      store.stat(kept.chunkId),
      store.has(kept.chunkId),
      store.delete(kept.chunkId),
      store.usage(),
      store.quarantine(kept.chunkId, 'x'),
      (async () => {
        for await (const _ of store.list()) break;
      })(),
    ]) {
      const err = await rejection(p);
      expect([err.code, err.reason]).toEqual([Code.Unavailable, 'SHUTTING_DOWN']);
    }
    // Committed chunks survive the close.
    const again = await tmp.open();
    expect(await again.has(kept.chunkId)).toBe(true);
  });

  it('forgets a writer whose signal fired while its temp file was being opened', async () => {
    const disk = store as DiskChunkStore;
    const open = await store.createWriter({ chunkId: newChunkId() });
    expect(disk.openWriters).toBe(1);
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      // Aborted after createWriter has started opening the file, before it resolves.
      const pending = store.createWriter({ chunkId: newChunkId() }, { signal: controller.signal });
      controller.abort();
      const writer = await pending;
      expect((await rejection(writer.write(random(1)))).code).toBe(Code.Canceled);
    }
    expect(disk.openWriters).toBe(1);
    await open.abort();
    expect(disk.openWriters).toBe(0);
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
  });

  it('makes the entry of a chunk it already holds durable before it acknowledges it again', async () => {
    const data = random(100);
    const chunk = await putChunk(store, data);
    await store.close();
    // A fresh store trusts no directory (as after a crash between rename and directory fsync).
    store = await tmp.open();
    const fsyncs = jest.mocked(fsyncDir);
    fsyncs.mockClear();
    const again = await putChunk(store, data, { chunkId: chunk.chunkId });
    expect(again.chunkId).toBe(chunk.chunkId);
    const [outer, inner] = new ChunkPaths(tmp.dir).chunkDirs(chunk.chunkId);
    expect(fsyncs.mock.calls.map(([dir]) => dir)).toEqual(expect.arrayContaining([inner, outer, join(tmp.dir, 'chunks')]));
  });

  it('close() waits for a commit in progress rather than tearing it', async () => {
    const data = random(200_000);
    const w = await store.createWriter({ chunkId: newChunkId(), sha256: chunkSha256(data) });
    await w.write(data);
    const committing = w.commit();
    await store.close();
    const outcome = await committing.then(
      () => 'committed',
      (err: { reason?: string }) => err.reason,
    );
    const again = await tmp.open();
    // Either the commit won (chunk durable) or the close did (nothing visible): never half of each.
    expect(await again.has(w.chunkId)).toBe(outcome === 'committed');
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
  });
});

describe('a damaged chunk whose quarantine fails (a failing disk)', () => {
  const tmp = useTempDir();
  afterEach(() => jest.restoreAllMocks());

  /** Renames into quarantine/ fail with EIO; other renames (commits) work. */
  function failQuarantineRenames(): void {
    const realRename = fsp.rename;
    jest.spyOn(fsp, 'rename').mockImplementation((from, to) =>
      String(to).startsWith(join(tmp.dir, 'quarantine')) ? Promise.reject(Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' })) : realRename(from, to),
    );
  }

  async function listed(store: ChunkStore): Promise<string[]> {
    const ids: string[] = [];
    for await (const info of store.list()) ids.push(info.chunkId);
    return ids;
  }

  it('is reported all the same, and no longer served, listed or counted, until a good copy replaces it', async () => {
    const onCorrupt = jest.fn();
    const store = await tmp.open({ onCorrupt });
    const data = random(3 * CHUNK_BLOCK_SIZE);
    const { chunkId } = await putChunk(store, data);
    const other = await putChunk(store, random(100));
    await flipByte(chunkFilePath(tmp.dir, chunkId), CHUNK_HEADER_SIZE + CHUNK_BLOCK_SIZE + 1);
    failQuarantineRenames();

    const reader = await store.openReader(chunkId);
    expect((await rejection(readRange(reader, { offset: 0, length: 0 }))).reason).toBe('CORRUPT_CHUNK');
    await reader.close();
    expect(onCorrupt).toHaveBeenCalledWith(chunkId, expect.stringMatching(/block 1/));
    expect(await filesUnder(join(tmp.dir, 'quarantine'))).toEqual([]); // the move failed: still in place
    expect(await store.has(chunkId)).toBe(false);
    expect(await store.stat(chunkId)).toBeUndefined();
    expect((await rejection(store.openReader(chunkId))).code).toBe(Code.NotFound);
    expect(await listed(store)).toEqual([other.chunkId]);
    expect(await store.usage()).toMatchObject({ chunkCount: 1, usedBytes: chunkFileLength(100) });
    // Reported once.
    expect(await store.condemn(chunkId, 'again')).toBe(false);
    expect(onCorrupt).toHaveBeenCalledTimes(1);

    // Re-replication brings a good copy; the bad file goes to quarantine now that renames work.
    jest.restoreAllMocks();
    await putChunk(store, data, { chunkId });
    const again = await store.openReader(chunkId);
    expect((await readRange(again, { offset: 0, length: 0 })).data.equals(data)).toBe(true);
    await again.close();
    expect(await store.usage()).toMatchObject({ chunkCount: 2, usedBytes: chunkFileLength(100) + chunkFileLength(data.length) });
    expect(await filesUnder(join(tmp.dir, 'quarantine'))).toHaveLength(1);
  });

  it('condemned on request, is reported, then deleted on command like any other', async () => {
    const onCorrupt = jest.fn();
    const store = await tmp.open({ onCorrupt });
    const { chunkId } = await putChunk(store, random(1000));
    failQuarantineRenames();
    expect(await store.condemn(chunkId, 'unreadable twice')).toBe(true);
    expect(onCorrupt).toHaveBeenCalledWith(chunkId, 'unreadable twice');
    expect((await store.usage()).chunkCount).toBe(0);
    expect(await filesUnder(join(tmp.dir, 'chunks'))).toHaveLength(1);
    // Out of service already, so "not there"; but its file goes.
    expect(await store.delete(chunkId)).toBe(false);
    expect(await filesUnder(join(tmp.dir, 'chunks'))).toEqual([]);
    expect(await store.condemn(chunkId, 'gone')).toBe(false);
    expect(await store.usage()).toMatchObject({ chunkCount: 0, usedBytes: 0 });
  });
});
