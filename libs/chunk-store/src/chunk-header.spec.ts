import { randomBytes } from 'node:crypto';
import { CHUNK_BLOCK_SIZE, MAX_CHUNK_SIZE, newChunkId } from '@dfs/proto';
import { CHUNK_HEADER_SIZE, chunkFileLength, decodeChunkHeader, encodeChunkHeader, trailerOffset } from './chunk-header.js';
import type { ChunkInfo } from './chunk-store.js';

const info = (over: Partial<ChunkInfo> = {}): ChunkInfo => ({
  chunkId: newChunkId(),
  size: 3 * CHUNK_BLOCK_SIZE + 5,
  sha256: new Uint8Array(randomBytes(32)),
  createdAt: new Date(1_700_000_000_123),
  uploadId: 'upload-ü-1',
  formatVersion: 1,
  ...over,
});

describe('chunk header v1', () => {
  it('round-trips every field', () => {
    const i = info();
    const h = encodeChunkHeader(i);
    expect(h.length).toBe(CHUNK_HEADER_SIZE);
    expect(h.subarray(0, 8).toString('latin1')).toBe('DFSCHUNK');
    expect(decodeChunkHeader(h, i.chunkId)).toEqual(i);
  });

  it('round-trips the extremes: 1 byte, 64 MiB, empty and 64-byte upload ids', () => {
    for (const i of [info({ size: 1, uploadId: '' }), info({ size: MAX_CHUNK_SIZE, uploadId: 'u'.repeat(64) })]) {
      expect(decodeChunkHeader(encodeChunkHeader(i), i.chunkId)).toEqual(i);
    }
  });

  it('refuses to encode an upload id over 64 bytes', () => {
    expect(() => encodeChunkHeader(info({ uploadId: 'ü'.repeat(33) }))).toThrow(RangeError);
  });

  it('detects a flipped bit in any byte of the header', () => {
    const i = info();
    const h = encodeChunkHeader(i);
    for (let at = 0; at < CHUNK_HEADER_SIZE; at++) {
      const bad = Buffer.from(h);
      bad[at] ^= 0x10;
      expect(typeof decodeChunkHeader(bad, i.chunkId)).toBe('string');
    }
  });

  it('names what is wrong', () => {
    const i = info();
    const h = encodeChunkHeader(i);
    expect(decodeChunkHeader(h.subarray(0, 100), i.chunkId)).toMatch(/truncated/);
    expect(decodeChunkHeader(Buffer.alloc(CHUNK_HEADER_SIZE), i.chunkId)).toMatch(/magic/);
    expect(decodeChunkHeader(h, newChunkId())).toMatch(/header names chunk/);
    const flipped = Buffer.from(h);
    flipped[40] ^= 1;
    expect(decodeChunkHeader(flipped, i.chunkId)).toMatch(/header checksum/);
  });

  it('computes the file length and trailer offset', () => {
    expect(chunkFileLength(1)).toBe(CHUNK_HEADER_SIZE + 1 + 32);
    expect(chunkFileLength(CHUNK_BLOCK_SIZE)).toBe(CHUNK_HEADER_SIZE + CHUNK_BLOCK_SIZE + 32);
    expect(chunkFileLength(CHUNK_BLOCK_SIZE + 1)).toBe(CHUNK_HEADER_SIZE + CHUNK_BLOCK_SIZE + 1 + 64);
    expect(trailerOffset(10)).toBe(CHUNK_HEADER_SIZE + 10);
  });
});
