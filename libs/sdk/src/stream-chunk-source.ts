import type { Hash } from 'node:crypto';
import { mkdtemp, open, rm, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkHasher, Code, DfsError as WireError } from '@dfs/proto';
import type { ChunkBody, ChunkSource } from './chunk-source.js';
import { asBytes } from './as-bytes.js';
import { untilAborted } from './for-each-concurrently.js';
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
  // The chunk being spooled. Kept here, not in chunks(), so that close() can
  // discard it even if chunks() has not finished unwinding: its cleanup runs
  // on an abort, but nothing waits for it.
  let spool: Spool | undefined;

  /**
   * `signal` must abort on the caller's abort and on any failure of the
   * upload: the generator spends most of its life waiting for the stream's
   * next piece, and it stops (freeing the stream and its spool file) only
   * when that wait is cut short by the signal.
   */
  async function* chunks(chunkSize: number, fileHash: Hash, signal: AbortSignal): AsyncGenerator<ChunkBody> {
    spoolDir ??= await mkdtemp(join(tmpdir(), 'dfs-upload-'));
    const pieces = source[Symbol.asyncIterator]();
    let ended = false;
    let index = 0;
    try {
      for (;;) {
        // Raced against the signal: a stalled stream (idle socket, pipe,
        // stdin) may never produce its next piece, and the consumer's
        // return() would only be queued behind this wait.
        const next = await untilAborted(pieces.next(), signal);
        if (next.done) {
          ended = true;
          break;
        }
        const piece = bytesOf(next.value);
        fileHash.update(piece);
        for (let pos = 0; pos < piece.length; ) {
          // A large piece takes several writes: do not spool on past an abort.
          signal.throwIfAborted();
          spool ??= await Spool.create(join(spoolDir, `chunk-${index}`), index, bytesRead);
          const take = Math.min(chunkSize - spool.size, piece.length - pos);
          await spool.append(piece.subarray(pos, pos + take));
          pos += take;
          bytesRead += take;
          if (spool.size === chunkSize) {
            // Handed over before the yield: from here the chunk's file is the
            // consumer's to release, not this generator's to discard.
            const body = await spool.complete();
            spool = undefined;
            index++;
            yield body;
          }
        }
      }
      if (spool) {
        const body = await spool.complete();
        spool = undefined;
        yield body;
      }
    } finally {
      if (!ended) stopSource(source, pieces);
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
      await spool?.discard();
      if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
    },
  };
}

/**
 * Ends the reading of a stream that was not read to its end. A Readable's
 * iterator destroys the stream on return(), but that iterator is an async
 * generator, so its return() waits behind a pending next(): on a stalled
 * stream, for ever. destroy() ends it at once (the pending next() then
 * rejects, and nothing is waiting for it). Any other iterable can only be
 * asked to stop; its return() is not waited for, for the same reason.
 */
function stopSource(source: AsyncIterable<unknown>, pieces: AsyncIterator<unknown>): void {
  const stream = source as { destroy?: unknown };
  if (typeof stream.destroy === 'function') (stream.destroy as () => void).call(source);
  void Promise.resolve(pieces.return?.()).catch(() => undefined);
}

class Spool {
  size = 0;
  private readonly hasher = new ChunkHasher();
  private discarded: Promise<void> | undefined;

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
      origin: `the temp file ${path} holding chunk ${index} of the stream`,
      read: (frameSize, signal) => readSpool(path, size, frameSize, signal, what),
      release: () => unlink(path).catch(() => undefined),
    };
  }

  /** Closes and deletes the file; once, however many callers (chunks() unwinding, close()) ask. */
  discard(): Promise<void> {
    this.discarded ??= (async () => {
      await this.fh.close().catch(() => undefined);
      await unlink(this.path).catch(() => undefined);
    })();
    return this.discarded;
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
