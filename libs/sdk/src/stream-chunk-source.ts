import type { Hash } from 'node:crypto';
import { mkdtemp, open, rm, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkHasher, Code, DfsError as WireError } from '@dfs/proto';
import type { ChunkBody, ChunkSource } from './chunk-source.js';
import { asBytes } from './as-bytes.js';
import { readFileRange } from './read-file-range.js';

/**
 * A stream of unknown length as chunks. Each chunk is spooled to a temp file
 * as it arrives (hashed on the way), and handed out once complete; writes
 * read it back from there, so a chunk can be written again on other nodes
 * after a failure, and memory holds no chunk, only the stream's own pieces.
 * Spooling the whole chunk before sending also decouples the producer from
 * the datanodes: a slow or bursty stream never holds a datanode write slot
 * open, nor trips its idle timeout. At most `concurrency + 1` chunks are on
 * disk at once (the ones being written and the one being spooled).
 */
export function streamChunkSource(source: AsyncIterable<unknown>): ChunkSource {
  let bytesRead = 0;
  let spoolDir: string | undefined;

  async function* chunks(chunkSize: number, fileHash: Hash, signal: AbortSignal): AsyncGenerator<ChunkBody> {
    spoolDir ??= await mkdtemp(join(tmpdir(), 'dfs-upload-'));
    let spool: Spool | undefined;
    let index = 0;
    try {
      for await (const item of source) {
        signal.throwIfAborted();
        const piece = bytesOf(item);
        fileHash.update(piece);
        for (let pos = 0; pos < piece.length; ) {
          spool ??= await Spool.create(join(spoolDir, `chunk-${index}`), index, bytesRead);
          const take = Math.min(chunkSize - spool.size, piece.length - pos);
          await spool.append(piece.subarray(pos, pos + take));
          pos += take;
          bytesRead += take;
          if (spool.size === chunkSize) {
            yield await spool.complete();
            spool = undefined;
            index++;
          }
        }
      }
      if (spool) {
        yield await spool.complete();
        spool = undefined;
      }
    } finally {
      await spool?.discard();
    }
  }

  return {
    size: undefined,
    get bytesRead() {
      return bytesRead;
    },
    chunks,
    finish: async () => undefined,
    async close() {
      if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    },
  };
}

class Spool {
  size = 0;
  private readonly hasher = new ChunkHasher();

  private constructor(
    private readonly path: string,
    private readonly fh: FileHandle,
    private readonly index: number,
    private readonly offset: number,
  ) {}

  static async create(path: string, index: number, offset: number): Promise<Spool> {
    return new Spool(path, await open(path, 'wx', 0o600), index, offset);
  }

  async append(bytes: Uint8Array): Promise<void> {
    this.hasher.update(bytes);
    for (let done = 0; done < bytes.length; ) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done);
      done += bytesWritten;
    }
    this.size += bytes.length;
  }

  async complete(): Promise<ChunkBody> {
    await this.fh.close();
    const { path, size, index, offset } = this;
    const what = `spooled chunk ${index}`;
    return {
      index,
      offset,
      size,
      sha256: this.hasher.digest().sha256,
      read: (frameSize, signal) => readSpool(path, size, frameSize, signal, what),
      release: () => unlink(path).catch(() => undefined),
    };
  }

  async discard(): Promise<void> {
    await this.fh.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}

async function* readSpool(path: string, size: number, frameSize: number, signal: AbortSignal, what: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    yield* readFileRange(fh, 0, size, frameSize, signal, what);
  } finally {
    await fh.close();
  }
}

function bytesOf(item: unknown): Uint8Array {
  const bytes = asBytes(item);
  if (bytes) return bytes;
  throw new WireError(Code.InvalidArgument,
    `the upload source yielded a ${typeof item === 'string' ? 'string' : typeof item}, not bytes: pass a byte stream (no setEncoding) or Uint8Array pieces`,
  );
}
