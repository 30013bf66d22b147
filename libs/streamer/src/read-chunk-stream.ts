import { createHash, type Hash } from 'node:crypto';
import type { Client } from '@connectrpc/connect';
import {
  CHUNK_BLOCK_SIZE,
  Code,
  DatanodeService,
  DfsError,
  blockCount,
  callError,
  bytesEqual,
  rootOfBlockDigests,
  type ReadChunkHeader,
  type ReadChunkResponse,
} from '@dfs/proto';
import { withIdleTimeout } from './with-idle-timeout.js';

export interface ReadChunkStreamOptions {
  chunkId: string;
  /** Default 0. */
  offset?: number;
  /** Default 0: to the end of the chunk. With a length, pass chunkSize too. */
  length?: number;
  /**
   * The chunk's size (from metadata). A range is read widened to whole
   * 64 KiB blocks, so that every byte handed out is checked here; where a
   * range with a length ends inside a block, the widened end depends on
   * whether that block is the chunk's last, which only the size tells.
   */
  chunkSize?: number;
  /** Preferred frame size; default the server's (1 MiB). */
  frameSize?: number;
  /** Checksum the chunk must have (from metadata); a node holding another version fails with DataLoss. */
  expectedSha256?: Uint8Array;
  /** Longest wait for the next frame, in ms. Default 30 000. */
  idleTimeoutMs?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Reads a chunk (or a range) from a datanode and verifies it on this side:
 * the range is fetched widened to whole 64 KiB blocks (at most 128 KiB more),
 * every block is checked against the block digests the node sent (and, for a
 * whole chunk, those digests against the chunk checksum) before any of its
 * bytes are yielded, and only the bytes of the range are yielded. So a bad
 * replica never hands the caller bad bytes, even mid-stream.
 */
export async function* readChunkStream(
  client: Client<typeof DatanodeService>,
  options: ReadChunkStreamOptions,
): AsyncGenerator<Uint8Array> {
  // Connect's response iterator has no return(): leaving the loop early would
  // leave the HTTP/2 stream (and the node's file handle) open. Aborting our
  // own signal ends the call whichever way we leave.
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const fetch = widenedRange(options);
  const call = client.readChunk(
    { chunkId: options.chunkId, offset: BigInt(fetch.offset), length: BigInt(fetch.length), frameSize: options.frameSize ?? 0 },
    { signal, timeoutMs: options.timeoutMs },
  );
  const responses = call[Symbol.asyncIterator]();
  try {
    yield* verifiedRead({ [Symbol.asyncIterator]: () => responses }, { ...options, signal }, fetch);
  } catch (err) {
    throw callError(err, options.signal);
  } finally {
    controller.abort();
    // Let the aborted call settle: Connect clears its deadline timer only
    // when the response iteration ends, and it would otherwise keep the
    // process alive until the deadline.
    void responses.next().catch(() => undefined);
  }
}

/** The range to ask the node for: the caller's, widened to whole blocks (length 0: to the chunk's end). */
function widenedRange(options: ReadChunkStreamOptions): { offset: number; length: number } {
  const offset = options.offset ?? 0;
  const length = options.length ?? 0;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new DfsError(Code.InvalidArgument, `chunk ${options.chunkId}: offset (${offset}) and length (${length}) must be whole numbers, not negative`, {
      reason: 'BAD_RANGE',
    });
  }
  const start = Math.floor(offset / CHUNK_BLOCK_SIZE) * CHUNK_BLOCK_SIZE;
  if (length === 0) return { offset: start, length: 0 };
  if (options.chunkSize === undefined) {
    throw new DfsError(Code.InvalidArgument, `chunk ${options.chunkId}: a range with a length needs the chunk's size (chunkSize) to read whole blocks`);
  }
  const end = Math.min(Math.ceil((offset + length) / CHUNK_BLOCK_SIZE) * CHUNK_BLOCK_SIZE, options.chunkSize);
  return { offset: start, length: Math.max(0, end - start) };
}

async function* verifiedRead(
  responses: AsyncIterable<ReadChunkResponse>,
  options: ReadChunkStreamOptions,
  /** The range asked of the node (see widenedRange). */
  fetch: { offset: number; length: number },
): AsyncGenerator<Uint8Array> {
  const offset = options.offset ?? 0;
  const what = `chunk ${options.chunkId}`;
  const it = withIdleTimeout(responses, { idleTimeoutMs: options.idleTimeoutMs ?? 30_000, signal: options.signal, what });
  const first = await it.next();
  if (first.done || first.value.message.case !== 'header') {
    throw new DfsError(Code.DataLoss, `${what}: the datanode did not start with a header; try another replica`, { reason: 'BAD_FRAME' });
  }
  const header = first.value.message.value;
  const chunkSize = Number(header.chunkSize);
  if (options.chunkSize !== undefined && options.chunkSize !== chunkSize) {
    throw new DfsError(Code.DataLoss, `${what}: the datanode holds ${chunkSize} bytes, not ${options.chunkSize}; read another replica`, { reason: 'CHECKSUM_MISMATCH' });
  }
  // The caller's range [offset, end), and the whole blocks fetched around it [pos, fetchEnd).
  const end = options.length ? offset + options.length : chunkSize;
  const fetchEnd = fetch.length ? fetch.offset + fetch.length : chunkSize;
  if (offset > chunkSize || end > chunkSize) {
    throw new DfsError(Code.OutOfRange, `${what}: range ${offset}..${end} is past the end of the chunk (${chunkSize} bytes)`, { reason: 'BAD_RANGE' });
  }
  checkHeader(header, options, fetch.offset, fetchEnd, what);

  let pos = fetch.offset;
  // Verified bytes of the range not yet handed out, and the pieces of the
  // block being hashed (with where each starts). Handed out once per frame,
  // merged where they are adjacent in one frame's buffer: one piece per frame
  // instead of one per 64 KiB block keeps a downloader's file writes (and
  // every layer's per-piece work) 16x fewer.
  let ready: Uint8Array[] = [];
  let pending: { start: number; bytes: Uint8Array }[] = [];
  let hash: Hash | undefined;
  for await (const res of it) {
    if (res.message.case !== 'frame') throw corrupt(`${what}: unexpected ${res.message.case ?? 'empty'} message after the header`);
    const { offset: frameOffset, data } = res.message.value;
    if (Number(frameOffset) !== pos) throw corrupt(`${what}: frame at ${frameOffset}, expected ${pos}`);
    if (pos + data.length > fetchEnd) throw corrupt(`${what}: the datanode sent more than the ${fetchEnd - fetch.offset} bytes asked for`);
    let i = 0;
    while (i < data.length) {
      const block = Math.floor(pos / CHUNK_BLOCK_SIZE);
      const blockEnd = Math.min((block + 1) * CHUNK_BLOCK_SIZE, chunkSize);
      const piece = data.subarray(i, i + Math.min(blockEnd - pos, data.length - i));
      hash ??= createHash('sha256');
      hash.update(piece);
      pending.push({ start: pos, bytes: piece });
      i += piece.length;
      pos += piece.length;
      if (pos === blockEnd) {
        const want = header.blockSha256[block - header.firstBlock];
        if (!want || !bytesEqual(new Uint8Array(hash.digest()), want)) {
          // Hand out what was verified first: a reader resumes on another replica after it.
          yield* ready;
          throw corrupt(`${what}: block ${block} does not match its checksum; the replica is corrupt, read another`);
        }
        hash = undefined;
        for (const p of pending) {
          // Only the caller's range: the widened edges were fetched to be checked.
          const from = Math.max(p.start, offset) - p.start;
          const to = Math.min(p.start + p.bytes.length, end) - p.start;
          if (to > from) appendAdjacent(ready, from === 0 && to === p.bytes.length ? p.bytes : p.bytes.subarray(from, to));
        }
        pending = [];
      }
    }
    const out = ready;
    ready = [];
    yield* out;
  }
  if (pos !== fetchEnd) {
    throw new DfsError(Code.DataLoss, `${what}: the stream ended at byte ${pos} of ${fetchEnd}; try another replica`, { reason: 'TRUNCATED_STREAM' });
  }
}

function checkHeader(header: ReadChunkHeader, options: ReadChunkStreamOptions, offset: number, end: number, what: string): void {
  const chunkSize = Number(header.chunkSize);
  if (options.expectedSha256 && !bytesEqual(header.sha256, options.expectedSha256)) {
    throw new DfsError(Code.DataLoss, `${what}: the datanode holds a different version of this chunk; read another replica`, {
      reason: 'CHECKSUM_MISMATCH',
    });
  }
  if (end > chunkSize) throw corrupt(`${what}: range ends at ${end} but the chunk holds ${chunkSize} bytes`);
  const first = Math.floor(offset / CHUNK_BLOCK_SIZE);
  const count = end > offset ? Math.floor((end - 1) / CHUNK_BLOCK_SIZE) - first + 1 : 0;
  if (header.blockSize !== CHUNK_BLOCK_SIZE || header.firstBlock !== first || header.blockSha256.length !== count) {
    throw corrupt(`${what}: the datanode sent block digests for another range`);
  }
  // With every digest in hand, tie them to the chunk checksum too.
  if (first === 0 && count === blockCount(chunkSize) && !bytesEqual(rootOfBlockDigests(header.blockSha256), header.sha256)) {
    throw corrupt(`${what}: block digests do not match the chunk checksum; the replica is corrupt, read another`);
  }
}

/** Appends `p` to `pieces`, extending the last view instead when `p` continues it in the same buffer. */
function appendAdjacent(pieces: Uint8Array[], p: Uint8Array): void {
  const last = pieces[pieces.length - 1];
  if (last && last.buffer === p.buffer && last.byteOffset + last.byteLength === p.byteOffset) {
    pieces[pieces.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + p.byteLength);
  } else {
    pieces.push(p);
  }
}

function corrupt(message: string): DfsError {
  return new DfsError(Code.DataLoss, message, { reason: 'CORRUPT_CHUNK' });
}
