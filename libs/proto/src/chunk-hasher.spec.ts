import { createHash, randomBytes } from 'node:crypto';
import { ChunkHasher, blockCount, chunkSha256, rootOfBlockDigests, CHUNK_BLOCK_SIZE } from './index.js';

const sha = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());

describe('ChunkHasher', () => {
  it('defines the checksum as SHA-256 over per-64KiB-block digests', () => {
    const data = randomBytes(CHUNK_BLOCK_SIZE * 2 + 100);
    const blocks = [
      sha(data.subarray(0, CHUNK_BLOCK_SIZE)),
      sha(data.subarray(CHUNK_BLOCK_SIZE, 2 * CHUNK_BLOCK_SIZE)),
      sha(data.subarray(2 * CHUNK_BLOCK_SIZE)),
    ];
    const d = new ChunkHasher().update(data).digest();
    expect(d.size).toBe(data.length);
    expect(d.blockDigests.map((x) => Buffer.from(x).toString('hex'))).toEqual(blocks.map((x) => Buffer.from(x).toString('hex')));
    expect(Buffer.from(d.sha256)).toEqual(Buffer.from(rootOfBlockDigests(blocks)));
  });

  it('gives the same result however the input is sliced', () => {
    const data = randomBytes(300_001);
    const whole = chunkSha256(data);
    const h = new ChunkHasher();
    for (let i = 0; i < data.length; ) {
      const n = 1 + ((i * 7919) % 90_000);
      h.update(data.subarray(i, i + n));
      i += n;
    }
    expect(Buffer.from(h.digest().sha256)).toEqual(Buffer.from(whole));
  });

  it('detects a single flipped bit', () => {
    const data = randomBytes(200_000);
    const before = chunkSha256(data);
    data[123_456] ^= 1;
    expect(Buffer.from(chunkSha256(data))).not.toEqual(Buffer.from(before));
  });

  it('counts blocks', () => {
    expect(blockCount(0)).toBe(0);
    expect(blockCount(1)).toBe(1);
    expect(blockCount(CHUNK_BLOCK_SIZE)).toBe(1);
    expect(blockCount(CHUNK_BLOCK_SIZE + 1)).toBe(2);
  });

  it('refuses updates after digest()', () => {
    const h = new ChunkHasher();
    h.digest();
    expect(() => h.update(new Uint8Array(1))).toThrow(/after digest/);
  });
});
