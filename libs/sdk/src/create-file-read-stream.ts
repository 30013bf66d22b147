import { Readable } from 'node:stream';
import type { ChunkLocation } from '@dfs/proto';
import { checkByteOffset } from './check-options.js';
import type { ClientContext } from './client-context.js';
import type { ReadStreamOptions } from './dfs-client.js';
import { DfsError } from './dfs-error.js';
import type { FileInfo } from './file-info.js';
import { canceled } from './for-each-concurrently.js';
import { readFileBytes } from './read-file-bytes.js';
import { statFile } from './stat-file.js';

/** Internal knobs of a read stream (downloads to a Writable use them). */
export interface ReadStreamTuning {
  /** Chunks fetched at once. Default: 2 (the next chunk is fetched while one is read). */
  readAhead?: number;
  /** Called once the file's info is known, before the first byte. */
  onOpen?: (file: FileInfo) => void;
  onChunk?: (chunk: ChunkLocation) => void;
}

/** Bytes buffered between the chunk reads and the consumer. */
const HIGH_WATER_MARK = 1024 * 1024;

/**
 * The Readable of createReadStream: bytes start..end (inclusive, as in
 * fs.createReadStream) of `path`, pulled chunk by chunk only as the consumer
 * reads. Range errors are thrown at once; everything else is emitted as a
 * DfsError. Destroying the stream or aborting the signal ends every fetch.
 */
export function createFileReadStream(ctx: ClientContext, path: string, options: ReadStreamOptions = {}, tuning: ReadStreamTuning = {}): Readable {
  const start = checkByteOffset(options.start, 'start') ?? 0;
  const end = checkByteOffset(options.end, 'end');
  if (end !== undefined && start > end) {
    throw new DfsError('InvalidArgument', `start (${start}) is after end (${end}); end is inclusive: {start: 0, end: 0} reads one byte`);
  }
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;

  async function* bytes(): AsyncGenerator<Uint8Array> {
    try {
      const file = await statFile(ctx, path, signal);
      tuning.onOpen?.(file);
      const stop = Math.min(file.size, end === undefined ? file.size : end + 1);
      yield* readFileBytes(ctx, file, Math.min(start, stop), stop, { readAhead: tuning.readAhead ?? 2, signal, onChunk: tuning.onChunk });
    } catch (err) {
      throw DfsError.from(options.signal?.aborted ? canceled(options.signal) : err);
    }
  }

  const iterator = bytes();
  let pumping = false;
  const readable = new Readable({
    highWaterMark: HIGH_WATER_MARK,
    read() {
      void pump();
    },
    destroy(error, callback) {
      // Ends every fetch now, also one waiting on a stalled node, and the
      // generator with it (its return() would wait for the pending step).
      controller.abort();
      void iterator.return(undefined).catch(() => undefined);
      callback(error);
    },
  });

  // Pulls from the generator while the stream wants more (push() is true).
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        const next = await iterator.next();
        if (readable.destroyed) return;
        if (next.done) {
          readable.push(null);
          return;
        }
        if (!readable.push(next.value)) return;
      }
    } catch (err) {
      readable.destroy(DfsError.from(err));
    } finally {
      pumping = false;
    }
  }

  if (options.signal) {
    const user = options.signal;
    const onAbort = () => readable.destroy(DfsError.from(canceled(user)));
    if (user.aborted) process.nextTick(onAbort);
    else user.addEventListener('abort', onAbort, { once: true });
    readable.once('close', () => user.removeEventListener('abort', onAbort));
  }
  return readable;
}
