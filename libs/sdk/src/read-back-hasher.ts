import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Code, DfsError as WireError } from '@dfs/proto';
import { endedAt, type HashThread } from './hash-thread.js';

/** Read-back buffer of the whole-file hash. */
const HASH_BUFFER = 1024 * 1024;

/**
 * Downloads at least this big hash on the client's hash thread: a download
 * is bound by this one thread (block checks, framing, file writes), and the
 * read-back hash was a fifth of it. Smaller ones are not worth the messages
 * (nor, for the first, the thread's start: tens of ms).
 */
const THREAD_HASH_MIN_BYTES = 64 * 1024 * 1024;

/** A stretch of the file, written and ready to hash (a ChunkLocation will do). */
interface Span {
  index: number;
  offset: number | bigint;
  size: number | bigint;
}

/** Where the bytes of the partial file are hashed, in file order: here, or a job of the client's HashThread. */
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
  constructor(fh: FileHandle, path: string, size: number, thread: HashThread, threadMinBytes = THREAD_HASH_MIN_BYTES) {
    this.sink = size >= threadMinBytes ? thread.open(path) : new InlineHashSink(fh, size);
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
