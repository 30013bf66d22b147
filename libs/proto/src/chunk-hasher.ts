import { createHash, type Hash } from 'node:crypto';
import { CHUNK_BLOCK_SIZE } from './limits.js';

/** Result of hashing a chunk: its checksum and the digest of every block. */
export interface ChunkDigest {
  size: number;
  /** SHA-256 over the concatenated block digests: the chunk checksum. */
  sha256: Uint8Array;
  /** SHA-256 of each CHUNK_BLOCK_SIZE block, in order (32 bytes each). */
  blockDigests: Uint8Array[];
}

/**
 * Incremental chunk checksum (see common.proto): feed bytes in any slicing,
 * get the per-block digests and the chunk checksum in one pass. Holds at most
 * one block's hash state, never the data.
 */
export class ChunkHasher {
  private block: Hash = createHash('sha256');
  private inBlock = 0;
  private size = 0;
  private readonly digests: Uint8Array[] = [];
  private done = false;

  update(data: Uint8Array): this {
    if (this.done) throw new Error('ChunkHasher: update() after digest()');
    let pos = 0;
    while (pos < data.length) {
      const take = Math.min(CHUNK_BLOCK_SIZE - this.inBlock, data.length - pos);
      this.block.update(data.subarray(pos, pos + take));
      this.inBlock += take;
      pos += take;
      if (this.inBlock === CHUNK_BLOCK_SIZE) this.closeBlock();
    }
    this.size += data.length;
    return this;
  }

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.size;
  }

  digest(): ChunkDigest {
    if (!this.done) {
      if (this.inBlock > 0) this.closeBlock();
      this.done = true;
    }
    return { size: this.size, sha256: rootOfBlockDigests(this.digests), blockDigests: this.digests };
  }

  private closeBlock(): void {
    this.digests.push(new Uint8Array(this.block.digest()));
    this.block = createHash('sha256');
    this.inBlock = 0;
  }
}

/** The chunk checksum from its block digests. */
export function rootOfBlockDigests(blockDigests: readonly Uint8Array[]): Uint8Array {
  const root = createHash('sha256');
  for (const d of blockDigests) root.update(d);
  return new Uint8Array(root.digest());
}

/** The chunk checksum of bytes held in memory (tests, small chunks). */
export function chunkSha256(data: Uint8Array): Uint8Array {
  return new ChunkHasher().update(data).digest().sha256;
}

export function blockCount(size: number): number {
  return Math.ceil(size / CHUNK_BLOCK_SIZE);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
