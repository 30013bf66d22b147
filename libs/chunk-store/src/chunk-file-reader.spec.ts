import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_BLOCK_SIZE, ChunkHasher, Code, bytesEqual, newChunkId } from '@dfs/proto';
import { CHUNK_HEADER_SIZE } from './chunk-header.js';
import type { ChunkStore } from './chunk-store.js';
import { chunkFilePath, flipByte as flipFileByte, putChunk, random, readRange, rejection, useTempDir } from './test/store-fixtures.js';

const B = CHUNK_BLOCK_SIZE;

describe('ChunkReader', () => {
  const tmp = useTempDir();
  let store: ChunkStore;
  let data: Buffer;
  let chunkId: string;

  const chunkPath = () => chunkFilePath(tmp.dir, chunkId);
  const flipByte = (fileOffset: number) => flipFileByte(chunkPath(), fileOffset);

  beforeEach(async () => {
    store = await tmp.open();
    data = random(4 * B + 1000); // 5 blocks, the last one short
    chunkId = newChunkId();
    await putChunk(store, data, { chunkId });
  });

  it.each([
    ['the first byte', 0, 1],
    ['the last byte', 4 * B + 999, 1],
    ['a block exactly', B, B],
    ['the last byte of a block', B - 1, 1],
    ['across one block edge', B - 10, 20],
    ['across several blocks', 100, 3 * B + 50],
    ['the short last block', 4 * B, 1000],
    ['everything', 0, 4 * B + 1000],
  ])('reads %s', async (_name, offset, length) => {
    const r = await store.openReader(chunkId);
    const { data: got } = await readRange(r, { offset, length });
    expect(got.equals(data.subarray(offset, offset + length))).toBe(true);
    await r.close();
  });

  it('reads to the end when length is 0, and nothing at offset = size', async () => {
    const r = await store.openReader(chunkId);
    expect((await readRange(r, { offset: B + 7, length: 0 })).data.equals(data.subarray(B + 7))).toBe(true);
    expect((await readRange(r, { offset: data.length, length: 0 })).data.length).toBe(0);
    await r.close();
  });

  it.each([1000, B, B + 1, 100_000, 1024 * 1024])('yields pieces of at most frameSize %i', async (frameSize) => {
    const r = await store.openReader(chunkId);
    const { data: got, pieces } = await readRange(r, { offset: 123, length: 0, frameSize });
    expect(got.equals(data.subarray(123))).toBe(true);
    expect(Math.max(...pieces)).toBeLessThanOrEqual(frameSize);
    // Full frames except where a window ends: no flood of tiny pieces.
    expect(pieces.length).toBeLessThanOrEqual(Math.ceil(got.length / frameSize) + Math.ceil(data.length / B));
    await r.close();
  });

  it.each([
    ['negative offset', -1, 0],
    ['negative length', 0, -5],
    ['offset past the end', 4 * B + 1001, 0],
    ['range past the end', 4 * B, 1001],
    ['fractional offset', 1.5, 1],
  ])('rejects a bad range: %s', async (_name, offset, length) => {
    const r = await store.openReader(chunkId);
    const err = await rejection(readRange(r, { offset, length }));
    expect([err.code, err.reason]).toEqual([Code.InvalidArgument, 'BAD_RANGE']);
    await r.close();
  });

  it('rejects a bad frame size', async () => {
    const r = await store.openReader(chunkId);
    expect((await rejection(readRange(r, { offset: 0, length: 1, frameSize: 0 }))).code).toBe(Code.InvalidArgument);
    await r.close();
  });

  it('returns stored block digests and rejects blocks outside the chunk', async () => {
    const r = await store.openReader(chunkId);
    const expected = new ChunkHasher().update(data).digest().blockDigests;
    const got = await r.blockDigests(1, 3);
    expect(got.map((d, i) => bytesEqual(d, expected[i + 1]))).toEqual([true, true, true]);
    expect(await r.blockDigests(5, 0)).toEqual([]);
    expect((await rejection(r.blockDigests(3, 3))).reason).toBe('BAD_RANGE');
    expect((await rejection(r.blockDigests(-1, 1))).reason).toBe('BAD_RANGE');
    await r.close();
  });

  it('fails with NotFound for an absent chunk', async () => {
    expect((await rejection(store.openReader(newChunkId()))).code).toBe(Code.NotFound);
  });

  it('detects a flipped data byte: yields the good blocks before it, none of the bad one, then quarantines', async () => {
    const onCorrupt = jest.fn();
    await store.close();
    store = await tmp.open({ onCorrupt });
    await flipByte(CHUNK_HEADER_SIZE + 2 * B + 500); // inside block 2
    const r = await store.openReader(chunkId);
    const got: Uint8Array[] = [];
    const err = await rejection(
      (async () => {
        for await (const p of r.read({ offset: 10, length: 0, frameSize: B })) got.push(p);
      })(),
    );
    expect([err.code, err.reason]).toEqual([Code.DataLoss, 'CORRUPT_CHUNK']);
    expect(Buffer.concat(got).equals(data.subarray(10, 2 * B))).toBe(true);
    expect(onCorrupt).toHaveBeenCalledTimes(1);
    expect(onCorrupt).toHaveBeenCalledWith(chunkId, expect.stringMatching(/block 2/));
    expect(await store.has(chunkId)).toBe(false);
    expect(await readdir(join(tmp.dir, 'quarantine'))).toHaveLength(1);
    expect((await rejection(store.openReader(chunkId))).code).toBe(Code.NotFound);
    expect((await store.usage()).chunkCount).toBe(0);
    await r.close();
  });

  it('still serves ranges that do not touch the damaged block, verifying only what it reads', async () => {
    await flipByte(CHUNK_HEADER_SIZE + 3 * B + 1);
    const r = await store.openReader(chunkId);
    expect((await readRange(r, { offset: 0, length: 3 * B })).data.equals(data.subarray(0, 3 * B))).toBe(true);
    expect((await rejection(readRange(r, { offset: 3 * B - 1, length: 2 }))).reason).toBe('CORRUPT_CHUNK');
    await r.close();
  });

  it('refuses to open a chunk whose trailer does not match its checksum', async () => {
    const onCorrupt = jest.fn();
    await store.close();
    store = await tmp.open({ onCorrupt });
    await flipByte(CHUNK_HEADER_SIZE + data.length + 40); // second block digest
    const err = await rejection(store.openReader(chunkId));
    expect([err.code, err.reason]).toEqual([Code.DataLoss, 'CORRUPT_CHUNK']);
    expect(onCorrupt).toHaveBeenCalledWith(chunkId, expect.stringMatching(/digests/));
    expect(await store.has(chunkId)).toBe(false);
  });

  it('does not quarantine a chunk rewritten after a damaged copy was opened', async () => {
    const r = await store.openReader(chunkId);
    await flipByte(CHUNK_HEADER_SIZE); // damages the file the reader holds
    const path = chunkPath();
    const { rename } = await import('node:fs/promises');
    await rename(path, path + '.old'); // the old file leaves, a new copy takes its place
    await putChunk(store, data, { chunkId });
    expect((await rejection(readRange(r, { offset: 0, length: 1 }))).reason).toBe('CORRUPT_CHUNK');
    expect(await store.has(chunkId)).toBe(true);
    await r.close();
  });

  it('fails reads with Unavailable SHUTTING_DOWN once the store is closed', async () => {
    const r = await store.openReader(chunkId);
    await store.close();
    const err = await rejection(readRange(r, { offset: 0, length: 1 }));
    expect([err.code, err.reason]).toEqual([Code.Unavailable, 'SHUTTING_DOWN']);
  });

  it('stops when the signal aborts', async () => {
    const r = await store.openReader(chunkId);
    const ac = new AbortController();
    const err = await rejection(
      (async () => {
        for await (const _p of r.read({ offset: 0, length: 0, frameSize: B, signal: ac.signal })) ac.abort();
      })(),
    );
    expect(err.code).toBe(Code.Canceled);
    await r.close();
  });
});
