import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import {
  CHUNK_BLOCK_SIZE,
  Code,
  DEFAULT_FRAME_SIZE,
  DfsError,
  MAX_FRAME_SIZE,
  blockCount,
  bytesEqual,
  rootOfBlockDigests,
} from '@dfs/proto';
import { BLOCK_DIGEST_SIZE, CHUNK_HEADER_SIZE, trailerOffset } from './chunk-header.js';
import type { ChunkPaths } from './chunk-paths.js';
import type { ChunkInfo, ChunkReader, ReadRange } from './chunk-store.js';
import { readChunkFileHeader, readFully } from './file-io.js';
import { canceledError, corruptChunkError, isNotFound, notStoredError, toStoreError } from './store-errors.js';

/** What a reader needs from its store. */
export interface ChunkReaderHost {
  readonly paths: ChunkPaths;
  /** Throws Unavailable SHUTTING_DOWN once the store is closed. */
  assertOpen(): void;
  /**
   * Quarantines the chunk (if the file at its path is still the one `fh`
   * reads: it may have been replaced since) and tells onCorrupt.
   */
  reportCorrupt(chunkId: string, detail: string, fh: FileHandle): Promise<void>;
  readerDone(reader: ChunkFileReader): void;
}

/**
 * Range reads of one stored chunk, verified block by block against the
 * digests in its trailer. The trailer (32 bytes per 64 KiB block, at most
 * 32 KiB) is kept in memory; data is read a window at a time, the window being
 * the frame size rounded up to whole blocks, so memory per read stays below
 * frame size + one block.
 */
export class ChunkFileReader implements ChunkReader {
  private closed = false;

  private constructor(
    private readonly host: ChunkReaderHost,
    private readonly fh: FileHandle,
    readonly info: ChunkInfo,
    private readonly trailer: Buffer,
  ) {}

  /** Opens and checks header, length and trailer; the chunk id was validated by the store. */
  static async open(host: ChunkReaderHost, chunkId: string, signal?: AbortSignal): Promise<ChunkFileReader> {
    if (signal?.aborted) throw canceledError(`reading chunk ${chunkId}`);
    let fh: FileHandle;
    try {
      fh = await open(host.paths.chunkFile(chunkId), 'r');
    } catch (err) {
      if (isNotFound(err)) throw notStoredError(chunkId);
      throw toStoreError(err, `opening chunk ${chunkId}`);
    }
    try {
      const info = await readChunkFileHeader(fh, chunkId);
      if (typeof info === 'string') return await corrupt(host, chunkId, info, fh);
      const trailer = Buffer.alloc(blockCount(info.size) * BLOCK_DIGEST_SIZE);
      if ((await readFully(fh, trailer, trailerOffset(info.size))) !== trailer.length) {
        return await corrupt(host, chunkId, 'block-digest trailer truncated', fh);
      }
      // A trailer that does not hash to the header's checksum would make
      // every block check meaningless.
      const digests: Uint8Array[] = [];
      for (let i = 0; i < trailer.length; i += BLOCK_DIGEST_SIZE) digests.push(trailer.subarray(i, i + BLOCK_DIGEST_SIZE));
      if (!bytesEqual(rootOfBlockDigests(digests), info.sha256)) {
        return await corrupt(host, chunkId, 'block digests do not match the chunk checksum', fh);
      }
      if (signal?.aborted) throw canceledError(`reading chunk ${chunkId}`);
      return new ChunkFileReader(host, fh, info, trailer);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw toStoreError(err, `opening chunk ${chunkId}`);
    }
  }

  async blockDigests(first: number, count: number): Promise<Uint8Array[]> {
    const blocks = blockCount(this.info.size);
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 0 || first + count > blocks) {
      throw new DfsError(
        Code.InvalidArgument,
        `blocks [${first}, ${first}+${count}) are outside chunk ${this.info.chunkId}, which has ${blocks} blocks`,
        { reason: 'BAD_RANGE' },
      );
    }
    const out: Uint8Array[] = [];
    for (let i = first; i < first + count; i++) {
      out.push(new Uint8Array(this.trailer.subarray(i * BLOCK_DIGEST_SIZE, (i + 1) * BLOCK_DIGEST_SIZE)));
    }
    return out;
  }

  async *read(range: ReadRange): AsyncGenerator<Uint8Array> {
    const { size, chunkId } = this.info;
    const { offset, length, signal } = range;
    const frameSize = range.frameSize ?? DEFAULT_FRAME_SIZE;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset > size || offset + length > size) {
      throw new DfsError(
        Code.InvalidArgument,
        `range offset ${offset} length ${length} is outside chunk ${chunkId} of ${size} bytes: ask for offset 0..size and length 0 (to the end) or up to size - offset`,
        { reason: 'BAD_RANGE' },
      );
    }
    if (!Number.isSafeInteger(frameSize) || frameSize < 1 || frameSize > MAX_FRAME_SIZE) {
      throw new DfsError(Code.InvalidArgument, `frame size ${frameSize} must be 1..${MAX_FRAME_SIZE} bytes`, { reason: 'BAD_RANGE' });
    }
    const end = length === 0 ? size : offset + length;
    const blocksPerWindow = Math.ceil(frameSize / CHUNK_BLOCK_SIZE);
    const endBlock = Math.ceil(end / CHUNK_BLOCK_SIZE);
    let block = Math.floor(offset / CHUNK_BLOCK_SIZE);
    let pos = offset;
    while (pos < end) {
      this.assertReadable();
      if (signal?.aborted) throw canceledError(`reading chunk ${chunkId}`);
      const windowBlocks = Math.min(blocksPerWindow, endBlock - block);
      const windowStart = block * CHUNK_BLOCK_SIZE;
      const windowEnd = Math.min((block + windowBlocks) * CHUNK_BLOCK_SIZE, size);
      // A fresh buffer per window: yielded pieces are views into it and must
      // stay intact however long the consumer keeps them.
      const buf = Buffer.allocUnsafe(windowEnd - windowStart);
      let got: number;
      try {
        got = await readFully(this.fh, buf, CHUNK_HEADER_SIZE + windowStart);
      } catch (err) {
        this.assertReadable();
        throw toStoreError(err, `reading chunk ${chunkId}`);
      }
      if (got !== buf.length) await corrupt(this.host, chunkId, `data truncated at byte ${windowStart + got}`, this.fh);
      for (let i = 0; i < windowBlocks; i++) {
        const data = buf.subarray(i * CHUNK_BLOCK_SIZE, (i + 1) * CHUNK_BLOCK_SIZE);
        const digest = createHash('sha256').update(data).digest();
        const at = (block + i) * BLOCK_DIGEST_SIZE;
        if (!digest.equals(this.trailer.subarray(at, at + BLOCK_DIGEST_SIZE))) {
          await corrupt(this.host, chunkId, `block ${block + i} does not match its checksum`, this.fh);
        }
      }
      const stop = Math.min(end, windowEnd);
      while (pos < stop) {
        const n = Math.min(frameSize, stop - pos);
        yield buf.subarray(pos - windowStart, pos - windowStart + n);
        pos += n;
      }
      block += windowBlocks;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.host.readerDone(this);
    await this.fh.close().catch(() => undefined);
  }

  private assertReadable(): void {
    this.host.assertOpen();
    if (this.closed) throw new DfsError(Code.FailedPrecondition, `the reader of chunk ${this.info.chunkId} is closed: open a new one`);
  }
}

async function corrupt(host: ChunkReaderHost, chunkId: string, detail: string, fh: FileHandle): Promise<never> {
  await host.reportCorrupt(chunkId, detail, fh);
  throw corruptChunkError(chunkId, detail);
}
