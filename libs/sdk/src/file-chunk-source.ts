import type { Hash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ChunkHasher, Code, DfsError as WireError } from '@dfs/proto';
import type { ChunkBody, ChunkSource } from './chunk-source.js';
import { localFileError } from './local-file-error.js';
import { readFileRange } from './read-file-range.js';

const HASH_BUFFER = 1024 * 1024;

/**
 * A local file as chunks. Each chunk is hashed in a sequential pass just
 * before it is handed out, through one reused buffer; its bytes are read
 * again, by position, for every write attempt. So memory does not grow with
 * the file or the chunk size, and no spool copy is needed.
 */
export async function openFileChunkSource(path: string): Promise<ChunkSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw localFileError(err, `cannot read local file ${path}`);
  }
  let before: Stats;
  try {
    before = await fh.stat();
  } catch (err) {
    // Nobody else holds the handle yet: close it here or it leaks.
    await fh.close().catch(() => undefined);
    throw localFileError(err, `cannot read local file ${path}`);
  }
  if (!before.isFile()) {
    await fh.close().catch(() => undefined);
    throw new WireError(Code.InvalidArgument, `${path} is not a regular file: upload files one by one`);
  }
  const size = before.size;
  let bytesRead = 0;
  const what = `local file ${path}`;

  async function* chunks(chunkSize: number, fileHash: Hash, signal: AbortSignal): AsyncGenerator<ChunkBody> {
    const buffer = Buffer.allocUnsafe(Math.min(HASH_BUFFER, Math.max(1, chunkSize)));
    for (let index = 0, offset = 0; offset < size; index++, offset += chunkSize) {
      const length = Math.min(chunkSize, size - offset);
      const hasher = new ChunkHasher();
      for (let pos = offset; pos < offset + length; ) {
        signal.throwIfAborted();
        const { bytesRead: n } = await fh.read(buffer, 0, Math.min(buffer.length, offset + length - pos), pos);
        if (n === 0) throw new WireError(Code.FailedPrecondition, `${what} shrank while it was being uploaded; upload it again`, { reason: 'SOURCE_CHANGED' });
        const piece = buffer.subarray(0, n);
        hasher.update(piece);
        fileHash.update(piece);
        pos += n;
      }
      bytesRead += length;
      yield {
        index,
        offset,
        size: length,
        sha256: hasher.digest().sha256,
        origin: what,
        read: (frameSize, readSignal) => readFileRange(fh, offset, length, frameSize, readSignal, what),
        release: async () => undefined,
      };
    }
  }

  return {
    size,
    get bytesRead() {
      return bytesRead;
    },
    chunks,
    async finish() {
      const after = await fh.stat();
      if (after.size !== before.size || after.mtimeMs !== before.mtimeMs) {
        throw new WireError(Code.FailedPrecondition, `${what} changed while it was being uploaded (size or modification time); upload it again`, {
          reason: 'SOURCE_CHANGED',
        });
      }
    },
    close: () => fh.close(),
  };
}
