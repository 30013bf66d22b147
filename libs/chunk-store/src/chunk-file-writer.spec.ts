import fs from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_BLOCK_SIZE, ChunkHasher, Code, MAX_CHUNK_SIZE, bytesEqual, chunkSha256, newChunkId } from '@dfs/proto';
import { CHUNK_HEADER_SIZE, chunkFileLength, decodeChunkHeader } from './chunk-header.js';
import { filesUnder, putChunk, random, readRange, rejection, useTempDir } from './test/store-fixtures.js';

const KiB64 = CHUNK_BLOCK_SIZE;

describe('ChunkWriter', () => {
  const tmp = useTempDir();

  it.each([
    ['1 B', 1],
    ['64 KiB - 1', KiB64 - 1],
    ['64 KiB', KiB64],
    ['64 KiB + 1', KiB64 + 1],
    ['~3 MiB', 3 * 1024 * 1024 + 12_345],
  ])('round-trips a chunk of %s', async (_name, size) => {
    const store = await tmp.open();
    const data = random(size);
    const chunkId = newChunkId();
    const info = await putChunk(store, data, { chunkId, uploadId: 'up-1', piece: 100_000 });
    expect(info).toMatchObject({ chunkId, size, uploadId: 'up-1', formatVersion: 1 });
    expect(bytesEqual(info.sha256, chunkSha256(data))).toBe(true);

    // Layout and file format: header, data at 256, one digest per block.
    const path = join(tmp.dir, 'chunks', chunkId.slice(0, 2), chunkId.slice(2, 4), `${chunkId}.chunk`);
    const file = await readFile(path);
    expect(file.length).toBe(chunkFileLength(size));
    expect(decodeChunkHeader(file, chunkId)).toEqual(info);
    expect(file.subarray(CHUNK_HEADER_SIZE, CHUNK_HEADER_SIZE + size).equals(data)).toBe(true);
    const digests = new ChunkHasher().update(data).digest().blockDigests;
    expect(file.subarray(CHUNK_HEADER_SIZE + size).equals(Buffer.concat(digests))).toBe(true);

    const reader = await store.openReader(chunkId);
    expect(reader.info).toEqual(info);
    expect((await readRange(reader, { offset: 0, length: 0 })).data.equals(data)).toBe(true);
    await reader.close();
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
  });

  it('accepts the checksum at commit only, and the size at commit only', async () => {
    const store = await tmp.open();
    const data = random(70_000);
    const w = await store.createWriter({ chunkId: newChunkId() });
    await w.write(data);
    expect(w.bytesWritten).toBe(70_000);
    const info = await w.commit({ size: data.length, sha256: chunkSha256(data) });
    expect(info.size).toBe(70_000);
    expect(await store.has(w.chunkId)).toBe(true);
  });

  it('applies writes in call order even when they are not awaited one by one', async () => {
    const store = await tmp.open();
    const data = random(5 * KiB64 + 3);
    const w = await store.createWriter({ chunkId: newChunkId(), sha256: chunkSha256(data) });
    const writes = [];
    for (let i = 0; i < data.length; i += 10_000) writes.push(w.write(data.subarray(i, i + 10_000)));
    await Promise.all(writes);
    await w.commit();
    const r = await store.openReader(w.chunkId);
    expect((await readRange(r, { offset: 0, length: 0 })).data.equals(data)).toBe(true);
    await r.close();
  });

  describe('leaves no visible chunk and no temp file when', () => {
    const cases: [string, (data: Buffer) => { init?: object; final?: object; reason: string; code: Code }][] = [
      ['the declared size is not what was sent', () => ({ init: { size: 5000 }, reason: 'SIZE_MISMATCH', code: Code.InvalidArgument })],
      ['the final size is not what was sent', () => ({ final: { size: 3000 }, reason: 'SIZE_MISMATCH', code: Code.InvalidArgument })],
      ['the data does not match the declared checksum', () => ({ init: { sha256: new Uint8Array(32) }, reason: 'CHECKSUM_MISMATCH', code: Code.DataLoss })],
      ['the data does not match the final checksum', () => ({ final: { sha256: new Uint8Array(32).fill(7) }, reason: 'CHECKSUM_MISMATCH', code: Code.DataLoss })],
      [
        'declared and final checksums disagree',
        (data) => ({ init: { sha256: chunkSha256(data) }, final: { sha256: new Uint8Array(32) }, reason: 'CHECKSUM_MISMATCH', code: Code.DataLoss }),
      ],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const store = await tmp.open();
      const data = random(4000);
      const { init, final, reason, code } = make(data);
      const w = await store.createWriter({ chunkId: newChunkId(), sha256: chunkSha256(data), ...init });
      await w.write(data);
      const err = await rejection(w.commit(final));
      expect(err.code).toBe(code);
      expect(err.reason).toBe(reason);
      expect(await store.has(w.chunkId)).toBe(false);
      expect(await filesUnder(tmp.dir)).toEqual([]);
      // The writer is finished: later calls fail the same way.
      expect((await rejection(w.write(data))).reason).toBe(reason);
    });

    it('no checksum was given at all', async () => {
      const store = await tmp.open();
      const w = await store.createWriter({ chunkId: newChunkId() });
      await w.write(random(10));
      const err = await rejection(w.commit());
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.message).toMatch(/sha256/);
      expect(await filesUnder(tmp.dir)).toEqual([]);
    });

    it('nothing was written (EMPTY_CHUNK)', async () => {
      const store = await tmp.open();
      const w = await store.createWriter({ chunkId: newChunkId(), sha256: chunkSha256(new Uint8Array(0)) });
      const err = await rejection(w.commit());
      expect([err.code, err.reason]).toEqual([Code.InvalidArgument, 'EMPTY_CHUNK']);
      expect(await filesUnder(tmp.dir)).toEqual([]);
    });
  });

  it('rejects declared sizes of 0 and over 64 MiB before creating anything', async () => {
    const store = await tmp.open();
    const zero = await rejection(store.createWriter({ chunkId: newChunkId(), size: 0 }));
    expect([zero.code, zero.reason]).toEqual([Code.InvalidArgument, 'EMPTY_CHUNK']);
    const big = await rejection(store.createWriter({ chunkId: newChunkId(), size: MAX_CHUNK_SIZE + 1 }));
    expect([big.code, big.reason]).toEqual([Code.InvalidArgument, 'CHUNK_TOO_LARGE']);
    expect((await rejection(store.createWriter({ chunkId: newChunkId(), size: 1.5 }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(store.createWriter({ chunkId: newChunkId(), sha256: new Uint8Array(31) }))).code).toBe(Code.InvalidArgument);
    expect((await rejection(store.createWriter({ chunkId: newChunkId(), uploadId: 'x'.repeat(65) }))).code).toBe(Code.InvalidArgument);
    expect(await filesUnder(tmp.dir)).toEqual([]);
  });

  it('aborts a write past the declared size and removes the temp file', async () => {
    const store = await tmp.open();
    const w = await store.createWriter({ chunkId: newChunkId(), size: 100 });
    await w.write(random(60));
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toHaveLength(1);
    const err = await rejection(w.write(random(41)));
    expect([err.code, err.reason]).toEqual([Code.InvalidArgument, 'CHUNK_TOO_LARGE']);
    expect(await filesUnder(tmp.dir)).toEqual([]);
    expect((await rejection(w.commit({ sha256: new Uint8Array(32) }))).reason).toBe('CHUNK_TOO_LARGE');
  });

  it('aborts a write past 64 MiB when no size was declared', async () => {
    const store = await tmp.open();
    const w = await store.createWriter({ chunkId: newChunkId() });
    await w.write(random(10));
    const err = await rejection(w.write(new Uint8Array(MAX_CHUNK_SIZE)));
    expect(err.reason).toBe('CHUNK_TOO_LARGE');
    expect(w.bytesWritten).toBe(10);
    expect(await filesUnder(tmp.dir)).toEqual([]);
  });

  it('commits the same chunk twice idempotently, and refuses other content under the same id', async () => {
    const store = await tmp.open();
    const data = random(KiB64 * 2);
    const chunkId = newChunkId();
    const first = await putChunk(store, data, { chunkId, uploadId: 'first' });
    const again = await putChunk(store, data, { chunkId, uploadId: 'second' });
    // The same chunk: the verified copy took the stored one's place.
    expect({ ...again, createdAt: undefined, uploadId: undefined }).toEqual({ ...first, createdAt: undefined, uploadId: undefined });
    expect(await store.stat(chunkId)).toEqual(again);
    const err = await rejection(putChunk(store, random(KiB64 * 2), { chunkId }));
    expect(err.code).toBe(Code.AlreadyExists);
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
    expect((await store.usage()).chunkCount).toBe(1);
  });

  it('replaces a stored copy with unscrubbed damage in its data by the verified one committed again', async () => {
    const onCorrupt = jest.fn();
    const store = await tmp.open({ onCorrupt });
    const data = random(3 * KiB64);
    const { chunkId } = await putChunk(store, data);
    const path = join(tmp.dir, 'chunks', chunkId.slice(0, 2), chunkId.slice(2, 4), `${chunkId}.chunk`);
    const before = await store.usage();
    // A reader that has the old file open while the new copy takes its place.
    const oldReader = await store.openReader(chunkId);
    // Bit rot in block 1: the header, which is all a commit checks, is intact.
    const fd = fs.openSync(path, 'r+');
    fs.writeSync(fd, Buffer.from([data[KiB64 + 5]! ^ 0xff]), 0, 1, CHUNK_HEADER_SIZE + KiB64 + 5);
    fs.closeSync(fd);

    await putChunk(store, data, { chunkId }); // re-replication onto this node

    const reader = await store.openReader(chunkId);
    expect((await readRange(reader, { offset: 0, length: 0 })).data.equals(data)).toBe(true);
    await reader.close();
    // The old reader still reads the old inode and finds its damage, which
    // quarantines nothing: the path holds the good copy now.
    expect((await rejection(readRange(oldReader, { offset: KiB64, length: 10 }))).reason).toBe('CORRUPT_CHUNK');
    await oldReader.close();
    expect(onCorrupt).not.toHaveBeenCalled();
    expect(await store.has(chunkId)).toBe(true);
    expect(await store.usage()).toMatchObject({ usedBytes: before.usedBytes, chunkCount: 1 });
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
  });

  it('replaces a damaged stored copy with a verified one on commit', async () => {
    const onCorrupt = jest.fn();
    const store = await tmp.open({ onCorrupt });
    const data = random(KiB64 + 10);
    const { chunkId } = await putChunk(store, data);
    const path = join(tmp.dir, 'chunks', chunkId.slice(0, 2), chunkId.slice(2, 4), `${chunkId}.chunk`);
    const { truncate } = await import('node:fs/promises');
    await truncate(path, 1000);
    await putChunk(store, data, { chunkId });
    expect(onCorrupt).toHaveBeenCalledWith(chunkId, expect.stringMatching(/file is 1000 bytes/));
    expect((await readFile(path)).length).toBe(chunkFileLength(data.length));
    expect(await filesUnder(join(tmp.dir, 'quarantine'))).toHaveLength(1);
    expect((await store.usage()).chunkCount).toBe(1);
  });

  it('lets only one of two concurrent commits of an id with different content win', async () => {
    const store = await tmp.open();
    const chunkId = newChunkId();
    const results = await Promise.allSettled([putChunk(store, random(1000), { chunkId }), putChunk(store, random(1000), { chunkId })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ sha256: Uint8Array }>;
    expect(bytesEqual((await store.stat(chunkId))!.sha256, winner.value.sha256)).toBe(true);
  });

  it('abort() removes the temp file, is idempotent, and later writes fail', async () => {
    const store = await tmp.open();
    const w = await store.createWriter({ chunkId: newChunkId() });
    await w.write(random(1000));
    await w.abort();
    await w.abort();
    expect(await filesUnder(tmp.dir)).toEqual([]);
    expect((await rejection(w.write(random(1)))).code).toBe(Code.Canceled);
    expect(await store.has(w.chunkId)).toBe(false);
  });

  it('aborting the signal removes the temp file, also before the writer exists', async () => {
    const store = await tmp.open();
    const ac = new AbortController();
    const w = await store.createWriter({ chunkId: newChunkId() }, { signal: ac.signal });
    await w.write(random(1000));
    ac.abort();
    const err = await rejection(w.write(random(1)));
    expect(err.code).toBe(Code.Canceled);
    expect(await filesUnder(tmp.dir)).toEqual([]);
    expect((await rejection(store.createWriter({ chunkId: newChunkId() }, { signal: ac.signal }))).code).toBe(Code.Canceled);
    expect(await filesUnder(tmp.dir)).toEqual([]);
  });

  it('stores a small chunk written whole as it was when written, even if the caller reuses its buffer', async () => {
    const store = await tmp.open();
    const data = random(KiB64);
    const original = Buffer.from(data);
    const w = await store.createWriter({ chunkId: newChunkId(), size: data.length, sha256: chunkSha256(data) });
    await w.write(data);
    data.fill(0);
    await w.commit();
    const r = await store.openReader(w.chunkId);
    expect((await readRange(r, { offset: 0, length: 0 })).data.equals(original)).toBe(true);
    await r.close();
  });

  it('leaves nothing behind when a small chunk written whole is aborted or fails verification', async () => {
    const store = await tmp.open();
    const data = random(5000);
    const aborted = await store.createWriter({ chunkId: newChunkId(), size: data.length, sha256: chunkSha256(data) });
    await aborted.write(data);
    await aborted.abort();
    const damaged = await store.createWriter({ chunkId: newChunkId(), size: data.length, sha256: new Uint8Array(32) });
    await damaged.write(data);
    expect((await rejection(damaged.commit())).reason).toBe('CHECKSUM_MISMATCH');
    expect(await filesUnder(tmp.dir)).toEqual([]);
    expect(await store.has(aborted.chunkId)).toBe(false);
    expect(await store.has(damaged.chunkId)).toBe(false);
  });

  it('reports a full disk as ResourceExhausted DISK_FULL and removes the temp file', async () => {
    const store = await tmp.open();
    const w = await store.createWriter({ chunkId: newChunkId() });
    await w.write(random(10));
    // A real full disk is hard to make in a test: fail the next write like one.
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const spy = jest.spyOn(fs, 'writev').mockImplementationOnce(((_fd: number, _buffers: unknown, _position: unknown, done: (err: Error) => void) =>
      done(enospc)) as unknown as typeof fs.writev);
    try {
      const err = await rejection(w.write(random(10)));
      expect([err.code, err.reason, err.retryable]).toEqual([Code.ResourceExhausted, 'DISK_FULL', true]);
    } finally {
      spy.mockRestore();
    }
    expect(await filesUnder(join(tmp.dir, 'tmp'))).toEqual([]);
  });
});
