import type { Hash } from 'node:crypto';
import { ChunkHasher } from '@dfs/proto';
import type { ChunkBody, ChunkSource } from './chunk-source.js';

/** Bytes in memory as chunks: views (subarrays) of the caller's buffer, never copies. */
export function bytesChunkSource(data: Uint8Array): ChunkSource {
  let bytesRead = 0;

  async function* chunks(chunkSize: number, fileHash: Hash): AsyncGenerator<ChunkBody> {
    for (let index = 0, offset = 0; offset < data.length; index++, offset += chunkSize) {
      const bytes = data.subarray(offset, offset + chunkSize);
      fileHash.update(bytes);
      bytesRead += bytes.length;
      yield {
        index,
        offset,
        size: bytes.length,
        sha256: new ChunkHasher().update(bytes).digest().sha256,
        origin: 'the buffer passed to upload()',
        read: (frameSize) => frames(bytes, frameSize),
        release: async () => undefined,
      };
    }
  }

  return {
    size: data.length,
    get bytesRead() {
      return bytesRead;
    },
    chunks,
    finish: async () => undefined,
    close: async () => undefined,
  };
}

async function* frames(bytes: Uint8Array, frameSize: number): AsyncGenerator<Uint8Array> {
  for (let pos = 0; pos < bytes.length; pos += frameSize) yield bytes.subarray(pos, pos + frameSize);
}
