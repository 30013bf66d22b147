import { unlink } from 'node:fs/promises';
import { ChunkHasher, Code, DfsError, MAX_CHUNK_SIZE, bytesEqual } from '@dfs/proto';
import { CHUNK_FORMAT_VERSION, CHUNK_HEADER_SIZE, MAX_UPLOAD_ID_BYTES, encodeChunkHeader, trailerOffset } from './chunk-header.js';
import type { ChunkPaths } from './chunk-paths.js';
import type { ChunkInfo, ChunkStoreLogger, ChunkWriter, ChunkWriterInit } from './chunk-store.js';
import { closeFile, fsyncFile, openFile, writeAll } from './file-io.js';
import { assertChunkSize, assertSha256, canceledError, isNotFound, toStoreError } from './store-errors.js';

/** What a writer needs from its store. */
export interface ChunkWriterHost {
  readonly paths: ChunkPaths;
  readonly logger: ChunkStoreLogger;
  /** Throws Unavailable SHUTTING_DOWN once the store is closed. */
  assertOpen(): void;
  /**
   * Moves a verified, fsynced temp file to the chunk's place and makes that
   * durable; or, if the chunk is already stored with the same content,
   * discards the temp file and returns the stored chunk.
   */
  install(tempPath: string, info: ChunkInfo): Promise<ChunkInfo>;
  /** The writer committed or aborted: the store stops tracking it. */
  writerDone(writer: ChunkFileWriter): void;
}

type State = 'open' | 'committed' | 'aborted';

/**
 * A chunk of at most this many bytes that arrives in one write() is kept (a
 * copy) until commit and written with its header and trailer in one call:
 * two thread-pool round trips fewer per small chunk, for a copy that costs
 * far less than one of them.
 */
const WHOLE_CHUNK_MAX_HELD = 256 * 1024;

/**
 * Writes one chunk to a temp file: data at its final offset as it arrives,
 * hashed on the way (one pass yields block digests and chunk checksum), then
 * header and trailer at commit. Holds no data in memory, except a small
 * chunk that came whole in one write (see WHOLE_CHUNK_MAX_HELD). Operations
 * run one at a time in call order, so a caller may fire writes without
 * awaiting each.
 */
export class ChunkFileWriter implements ChunkWriter {
  private readonly hasher = new ChunkHasher();
  private written = 0;
  private state: State = 'open';
  /** Why the writer stopped (or is stopping); later operations throw it. */
  private failure: DfsError | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  /** The temp file's descriptor until commit or cleanup closes it. */
  private fd: number | undefined;
  /** A whole small chunk not yet written: it goes out at commit with its header and trailer. */
  private held: Uint8Array | undefined;
  private detachSignal: () => void = () => undefined;

  private constructor(
    private readonly host: ChunkWriterHost,
    private readonly init: Required<Pick<ChunkWriterInit, 'chunkId' | 'uploadId'>> & ChunkWriterInit,
    private readonly tempPath: string,
    fd: number,
  ) {
    this.fd = fd;
  }

  /** Validates `init` (the chunk id was checked by the store) and opens the temp file. */
  static async create(host: ChunkWriterHost, init: ChunkWriterInit, signal?: AbortSignal): Promise<ChunkFileWriter> {
    const chunkId = init.chunkId;
    if (init.size !== undefined) assertChunkSize(init.size, `declared size of chunk ${chunkId}`);
    if (init.sha256 !== undefined) assertSha256(init.sha256, `sha256 of chunk ${chunkId}`);
    const uploadId = init.uploadId ?? '';
    if (typeof uploadId !== 'string' || Buffer.byteLength(uploadId, 'utf8') > MAX_UPLOAD_ID_BYTES) {
      throw new DfsError(Code.InvalidArgument, `upload id of chunk ${chunkId} must be a string of at most ${MAX_UPLOAD_ID_BYTES} bytes of UTF-8`);
    }
    if (signal?.aborted) throw canceledError(`writing chunk ${chunkId}`);
    host.assertOpen();

    const tempPath = host.paths.tempFile(chunkId);
    let fd: number;
    try {
      // 'wx': the random name should be new; never write through someone else's file.
      fd = await openFile(tempPath, 'wx');
    } catch (err) {
      throw toStoreError(err, `creating a temp file for chunk ${chunkId}`);
    }
    const writer = new ChunkFileWriter(host, { ...init, chunkId, uploadId }, tempPath, fd);
    if (signal) {
      const onAbort = () => void writer.abortWith(canceledError(`writing chunk ${chunkId}`));
      signal.addEventListener('abort', onAbort, { once: true });
      writer.detachSignal = () => signal.removeEventListener('abort', onAbort);
      // The signal may have fired while the file was being opened.
      if (signal.aborted) onAbort();
    }
    return writer;
  }

  get chunkId(): string {
    return this.init.chunkId;
  }

  /** Neither committed nor aborted (nor failed) yet. */
  get isOpen(): boolean {
    return this.state === 'open' && !this.failure;
  }

  get bytesWritten(): number {
    return this.written;
  }

  write(data: Uint8Array): Promise<void> {
    return this.enqueue(async () => {
      this.assertWritable();
      if (!(data instanceof Uint8Array)) {
        throw await this.fail(new DfsError(Code.InvalidArgument, `data for chunk ${this.chunkId} must be a Uint8Array`));
      }
      const limit = this.init.size ?? MAX_CHUNK_SIZE;
      if (this.written + data.length > limit) {
        const what = this.init.size === undefined ? 'the 64 MiB chunk limit' : `its declared size of ${limit} bytes`;
        throw await this.fail(
          new DfsError(
            Code.InvalidArgument,
            `chunk ${this.chunkId} would grow to ${this.written + data.length} bytes, past ${what}: send at most the declared bytes; the write was aborted`,
            { reason: 'CHUNK_TOO_LARGE' },
          ),
        );
      }
      if (data.length === 0) return;
      if (this.written === 0 && data.length === this.init.size && data.length <= WHOLE_CHUNK_MAX_HELD) {
        // A copy (Buffer.from copies; a Buffer's slice() would not): the caller may reuse its buffer once this resolves.
        this.held = Buffer.from(data);
      } else {
        try {
          await writeAll(this.fd!, [data], CHUNK_HEADER_SIZE + this.written);
        } catch (err) {
          throw await this.fail(toStoreError(err, `writing chunk ${this.chunkId}`));
        }
      }
      this.hasher.update(data);
      this.written += data.length;
    });
  }

  commit(final: { size?: number; sha256?: Uint8Array } = {}): Promise<ChunkInfo> {
    return this.enqueue(async () => {
      this.assertWritable();
      try {
        const info = this.verify(final);
        const digest = this.hasher.digest();
        const fd = this.fd!;
        const trailer = Buffer.concat(digest.blockDigests);
        // Trailer and header go last (with a held chunk, in the same call): a
        // crash before the rename leaves only a temp file (removed at the next
        // open), never a half-made chunk.
        if (this.held) {
          await writeAll(fd, [encodeChunkHeader(info), this.held, trailer], 0);
          this.held = undefined;
        } else {
          await writeAll(fd, [trailer], trailerOffset(info.size));
          await writeAll(fd, [encodeChunkHeader(info)], 0);
        }
        await fsyncFile(fd);
        this.fd = undefined;
        await closeFile(fd);
        // Aborted (signal, store closing) while the file was being written: do not publish it.
        if (this.failure) throw this.failure;
        const stored = await this.host.install(this.tempPath, info);
        this.finish('committed');
        return stored;
      } catch (err) {
        throw await this.fail(toStoreError(err, `committing chunk ${this.chunkId}`));
      }
    });
  }

  abort(): Promise<void> {
    return this.abortWith(new DfsError(Code.Canceled, `the writer of chunk ${this.chunkId} was aborted`));
  }

  /** Stops the writer for `reason` once the running operation is done; removes the temp file. */
  async abortWith(reason: DfsError): Promise<void> {
    if (this.state === 'open' && !this.failure) this.failure = reason;
    await this.tail;
    if (this.state === 'open') await this.cleanup();
  }

  /** Checks size and checksum against every expectation; returns the info to store. */
  private verify(final: { size?: number; sha256?: Uint8Array }): ChunkInfo {
    const id = this.chunkId;
    const size = this.written;
    if (size === 0) {
      throw new DfsError(Code.InvalidArgument, `chunk ${id} has no data: a chunk holds 1 byte to 64 MiB; do not commit empty chunks`, {
        reason: 'EMPTY_CHUNK',
      });
    }
    for (const [what, expected] of [
      ['declared', this.init.size],
      ['final', final.size],
    ] as const) {
      if (expected !== undefined && expected !== size) {
        throw new DfsError(Code.InvalidArgument, `chunk ${id}: ${what} size is ${expected} bytes but ${size} were received: resend the chunk`, {
          reason: 'SIZE_MISMATCH',
        });
      }
    }
    if (final.sha256 !== undefined) assertSha256(final.sha256, `final sha256 of chunk ${id}`);
    const expected = [this.init.sha256, final.sha256].filter((s): s is Uint8Array => s !== undefined);
    if (expected.length === 0) {
      throw new DfsError(Code.InvalidArgument, `chunk ${id}: no expected sha256 was given; pass it to createWriter() or commit() so the data can be verified`);
    }
    const actual = this.hasher.digest().sha256;
    if (!expected.every((e) => bytesEqual(e, actual))) {
      throw new DfsError(Code.DataLoss, `chunk ${id}: the received data does not match the expected sha256 (corrupted in transit): resend the chunk`, {
        reason: 'CHECKSUM_MISMATCH',
      });
    }
    return { chunkId: id, size, sha256: actual, createdAt: new Date(), uploadId: this.init.uploadId, formatVersion: CHUNK_FORMAT_VERSION };
  }

  private assertWritable(): void {
    if (this.failure) throw this.failure;
    if (this.state === 'committed') {
      throw new DfsError(Code.FailedPrecondition, `chunk ${this.chunkId} is already committed: open a new writer to write it again`);
    }
  }

  /** Records the first failure, removes the temp file; returns the failure to throw. */
  private async fail(err: DfsError): Promise<DfsError> {
    if (!this.failure) this.failure = err;
    await this.cleanup();
    return this.failure;
  }

  private async cleanup(): Promise<void> {
    if (this.state !== 'open') return;
    this.finish('aborted');
    this.held = undefined;
    const fd = this.fd;
    this.fd = undefined;
    try {
      if (fd !== undefined) await closeFile(fd);
    } catch (err) {
      this.host.logger.warn({ err, chunkId: this.chunkId }, 'closing an aborted chunk temp file failed');
    }
    try {
      await unlink(this.tempPath);
    } catch (err) {
      // Gone already when install() consumed it; otherwise the next open removes it.
      if (!isNotFound(err)) this.host.logger.warn({ err, path: this.tempPath }, 'removing an aborted chunk temp file failed');
    }
  }

  private finish(state: State): void {
    this.state = state;
    this.detachSignal();
    this.host.writerDone(this);
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
