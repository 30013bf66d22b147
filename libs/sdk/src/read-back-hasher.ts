import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { Code, DfsError as WireError } from '@dfs/proto';

/** Read-back buffer of the whole-file hash. */
const HASH_BUFFER = 1024 * 1024;

/**
 * Downloads at least this big hash on a thread of their own: a download is
 * bound by this one thread (block checks, framing, file writes), and the
 * read-back hash was a fifth of it. Smaller ones are not worth a thread's
 * start (tens of ms) and memory.
 */
const THREAD_HASH_MIN_BYTES = 64 * 1024 * 1024;

/** A stretch of the file, written and ready to hash (a ChunkLocation will do). */
interface Span {
  index: number;
  offset: number | bigint;
  size: number | bigint;
}

/** Where the bytes of the partial file are hashed, in file order. */
interface HashSink {
  /** Hashes [offset, end) next; may return before that is done (the sink keeps the order). */
  hashRange(offset: number, end: number): Promise<void>;
  digest(): Promise<string>;
  close(): void;
}

/**
 * The whole-file SHA-256 in file order while chunks complete out of order:
 * a chunk is read back from the partial file and hashed once every chunk
 * before it is done, so the hash checks what is on the local disk. Memory:
 * one buffer and the indexes done ahead of the first missing one. Call
 * close() when done, whatever the outcome.
 */
export class ReadBackHasher {
  private readonly done = new Map<number, Span>();
  private next = 0;
  private running: Promise<void> = Promise.resolve();
  private readonly sink: HashSink;

  /** `fh` and `path` are the same file (the thread opens its own descriptor). */
  constructor(fh: FileHandle, path: string, size: number, threadMinBytes = THREAD_HASH_MIN_BYTES) {
    this.sink = size >= threadMinBytes ? new ThreadHashSink(path) : new InlineHashSink(fh, size);
  }

  /** Chunk written (every write awaited); hashes every chunk now contiguous with the hashed prefix. */
  complete(chunk: Span): Promise<void> {
    this.done.set(chunk.index, chunk);
    this.running = this.running.then(() => this.advance());
    return this.running;
  }

  async digest(chunkCount: number): Promise<string> {
    await this.running;
    if (this.next !== chunkCount) throw new WireError(Code.Internal, `only ${this.next} of ${chunkCount} chunks were hashed`);
    return this.sink.digest();
  }

  close(): void {
    this.sink.close();
  }

  private async advance(): Promise<void> {
    for (let chunk = this.done.get(this.next); chunk; chunk = this.done.get(this.next)) {
      this.done.delete(this.next);
      await this.sink.hashRange(Number(chunk.offset), Number(chunk.offset) + Number(chunk.size));
      this.next++;
    }
  }
}

/** Reads and hashes on this thread. */
class InlineHashSink implements HashSink {
  private readonly hash: Hash = createHash('sha256');
  private readonly buffer: Buffer;

  constructor(
    private readonly fh: FileHandle,
    size: number,
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(1, Math.min(HASH_BUFFER, size)));
  }

  async hashRange(offset: number, end: number): Promise<void> {
    for (let pos = offset; pos < end; ) {
      const { bytesRead } = await this.fh.read(this.buffer, 0, Math.min(this.buffer.length, end - pos), pos);
      if (bytesRead === 0) throw endedAt(pos);
      this.hash.update(this.buffer.subarray(0, bytesRead));
      pos += bytesRead;
    }
  }

  async digest(): Promise<string> {
    return this.hash.digest('hex');
  }

  close(): void {
    // Nothing to release: the file handle is the caller's.
  }
}

// The thread's whole program: it opens the partial file itself, so no bytes
// cross between threads, and takes ranges in the order they are posted.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(${HASH_BUFFER});
let fd;
let failed = false;
parentPort.on('message', (m) => {
  if (failed) return;
  try {
    if (fd === undefined) fd = openSync(workerData.path, 'r');
    if (m.digest) {
      closeSync(fd);
      parentPort.postMessage({ sha256: hash.digest('hex') });
      return;
    }
    for (let pos = m.offset; pos < m.end; ) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, m.end - pos), pos);
      if (n === 0) throw Object.assign(new Error('ended'), { endedAt: pos });
      hash.update(buffer.subarray(0, n));
      pos += n;
    }
  } catch (err) {
    failed = true;
    parentPort.postMessage({ error: err.endedAt === undefined ? String(err && err.message) : undefined, endedAt: err.endedAt });
  }
});
`;

/** Reads and hashes on a worker thread; ranges are posted without waiting. */
class ThreadHashSink implements HashSink {
  private readonly worker: Worker;
  private readonly result: Promise<string>;

  constructor(path: string) {
    // It allocates next to nothing (one buffer, reused): a small heap keeps its RSS small.
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { path }, resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16, stackSizeMb: 1 } });
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.on('message', (m: { sha256?: string; error?: string; endedAt?: number }) => {
        if (m.sha256 !== undefined) resolve(m.sha256);
        else if (m.endedAt !== undefined) reject(endedAt(m.endedAt));
        else reject(new WireError(Code.Internal, `hashing the downloaded file failed: ${m.error}`));
      });
      this.worker.once('error', (err) => reject(new WireError(Code.Internal, `the hashing thread failed: ${err.message}`)));
      this.worker.once('exit', (code) => reject(new WireError(Code.Internal, `the hashing thread exited (code ${code}) before the file was hashed`)));
    });
    // Read by digest(); a failure before that must not be an unhandled rejection.
    this.result.catch(() => undefined);
  }

  async hashRange(offset: number, end: number): Promise<void> {
    this.worker.postMessage({ offset, end });
  }

  async digest(): Promise<string> {
    this.worker.postMessage({ digest: true });
    return this.result;
  }

  close(): void {
    void this.worker.terminate();
  }
}

function endedAt(pos: number): WireError {
  return new WireError(Code.Internal, `the partial file ended at byte ${pos} while it was hashed`);
}
