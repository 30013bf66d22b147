import {
  Code,
  DfsError,
  HOST_PORT_PATTERN,
  MAX_CHUNK_SIZE,
  MAX_FRAME_SIZE,
  isChunkId,
  bytesEqual,
  type DfsErrorReason,
  type Replica,
  type WriteChunkRequest,
} from '@dfs/proto';
import { withIdleTimeout } from './with-idle-timeout.js';

/** The validated first message of a WriteChunk stream. */
export interface ChunkWriteHeader {
  chunkId: string;
  /** Declared size, when the writer knew it. */
  size: number | undefined;
  /** Declared checksum, when the writer knew it. */
  sha256: Uint8Array | undefined;
  pipeline: Replica[];
  uploadId: string;
  /** 0: the receiving node's default. */
  minReplicas: number;
}

export interface ChunkWriteTrailer {
  size: number;
  sha256: Uint8Array;
}

export interface AcceptChunkWriteOptions {
  /** Largest data frame accepted. Default MAX_FRAME_SIZE (4 MiB). */
  maxFrameSize: number;
  /** Longest wait for the next message, in ms. Default 30 000. */
  idleTimeoutMs: number;
  /** Most pipeline entries accepted. Default 15. */
  maxPipeline: number;
  signal?: AbortSignal;
}

/**
 * One incoming chunk write: the header, then `frames()` yields each data
 * frame's bytes in order, then `trailer` holds the final size and checksum.
 */
export interface IncomingChunk {
  readonly header: ChunkWriteHeader;
  frames(): AsyncGenerator<Uint8Array>;
  /** Set once frames() has finished. */
  readonly trailer: ChunkWriteTrailer | undefined;
}

/**
 * Reads and validates the header of a WriteChunk request stream. Every rule
 * of the protocol is checked here, before a byte reaches the disk: frames are
 * contiguous and within the size limits, the trailer agrees with the header,
 * and a stream that ends without a trailer is truncated, never stored.
 */
export async function acceptChunkWrite(
  requests: AsyncIterable<WriteChunkRequest>,
  options: Partial<AcceptChunkWriteOptions> = {},
): Promise<IncomingChunk> {
  const opts: AcceptChunkWriteOptions = { maxFrameSize: MAX_FRAME_SIZE, idleTimeoutMs: 30_000, maxPipeline: 15, ...options };
  const messages = withIdleTimeout(requests, { idleTimeoutMs: opts.idleTimeoutMs, signal: opts.signal, what: 'WriteChunk stream' });
  const first = await messages.next();
  if (first.done) throw bad('the stream ended before the header: send a header message first', 'TRUNCATED_STREAM');
  if (first.value.message.case !== 'header') throw bad(`the first message must be a header, got ${first.value.message.case ?? 'an empty message'}`, 'BAD_FRAME');
  const header = validateHeader(first.value.message.value, opts);
  let trailer: ChunkWriteTrailer | undefined;

  async function* frames(): AsyncGenerator<Uint8Array> {
    let received = 0;
    for (;;) {
      const next = await messages.next();
      if (next.done) throw bad(`the stream ended after ${received} bytes without a trailer: the write was cut short; retry it`, 'TRUNCATED_STREAM');
      const msg = next.value.message;
      if (msg.case === 'frame') {
        const { offset, data } = msg.value;
        if (offset !== BigInt(received)) throw bad(`frame at offset ${offset} but ${received} bytes were received: frames must be contiguous and in order`, 'BAD_FRAME');
        if (data.length === 0) throw bad('empty data frame: send at least one byte per frame', 'BAD_FRAME');
        if (data.length > opts.maxFrameSize) {
          throw new DfsError(Code.ResourceExhausted, `frame of ${data.length} bytes exceeds the ${opts.maxFrameSize}-byte maximum: send smaller frames`, { reason: 'BAD_FRAME' });
        }
        received += data.length;
        const limit = header.size ?? MAX_CHUNK_SIZE;
        if (received > limit) {
          throw bad(
            header.size !== undefined
              ? `received ${received} bytes but the header declared ${header.size}: send exactly the declared size`
              : `chunk exceeds the ${MAX_CHUNK_SIZE}-byte maximum chunk size: split the data into more chunks`,
            header.size !== undefined ? 'SIZE_MISMATCH' : 'CHUNK_TOO_LARGE',
          );
        }
        yield data;
        continue;
      }
      if (msg.case === 'trailer') {
        trailer = validateTrailer(msg.value.size, msg.value.sha256, header, received);
        const after = await messages.next();
        if (!after.done) throw bad('a message followed the trailer: the trailer must be last', 'BAD_FRAME');
        return;
      }
      throw bad(`unexpected ${msg.case ?? 'empty'} message after the header`, 'BAD_FRAME');
    }
  }

  return {
    header,
    frames,
    get trailer() {
      return trailer;
    },
  };
}

function validateHeader(h: {
  chunkId: string;
  size?: bigint;
  sha256: Uint8Array;
  pipeline: Replica[];
  uploadId: string;
  minReplicas: number;
}, opts: AcceptChunkWriteOptions): ChunkWriteHeader {
  if (!isChunkId(h.chunkId)) {
    throw bad(`malformed chunk id ${JSON.stringify(String(h.chunkId).slice(0, 80))}: expected 32 lowercase hex characters`, 'BAD_CHUNK_ID');
  }
  let size: number | undefined;
  if (h.size !== undefined) {
    if (h.size <= 0n) throw bad(`chunk size must be at least 1 byte, got ${h.size}: do not store empty chunks`, 'EMPTY_CHUNK');
    if (h.size > BigInt(MAX_CHUNK_SIZE)) throw bad(`chunk size ${h.size} exceeds the ${MAX_CHUNK_SIZE}-byte maximum: use smaller chunks`, 'CHUNK_TOO_LARGE');
    size = Number(h.size);
  }
  if (h.sha256.length !== 0 && h.sha256.length !== 32) throw bad(`sha256 must be 32 bytes, got ${h.sha256.length}`, 'CHECKSUM_MISMATCH');
  if (h.pipeline.length > opts.maxPipeline) throw bad(`pipeline of ${h.pipeline.length} nodes exceeds the maximum of ${opts.maxPipeline}`, 'BAD_FRAME');
  for (const r of h.pipeline) {
    if (!HOST_PORT_PATTERN.test(r.address)) throw bad(`pipeline address ${JSON.stringify(r.address)} is not host:port`, 'BAD_FRAME');
  }
  if (h.uploadId.length > 64) throw bad('upload id longer than 64 characters', 'BAD_FRAME');
  if (h.minReplicas > h.pipeline.length + 1) {
    throw bad(`min_replicas ${h.minReplicas} exceeds the ${h.pipeline.length + 1} nodes of the pipeline`, 'NOT_ENOUGH_REPLICAS');
  }
  return {
    chunkId: h.chunkId,
    size,
    sha256: h.sha256.length === 32 ? h.sha256 : undefined,
    pipeline: h.pipeline,
    uploadId: h.uploadId,
    minReplicas: h.minReplicas,
  };
}

function validateTrailer(sizeIn: bigint, sha256: Uint8Array, header: ChunkWriteHeader, received: number): ChunkWriteTrailer {
  const size = Number(sizeIn);
  if (size !== received) throw bad(`trailer says ${sizeIn} bytes but ${received} were received: the stream lost data; retry`, 'SIZE_MISMATCH');
  if (header.size !== undefined && size !== header.size) {
    throw bad(`received ${received} bytes but the header declared ${header.size}: the write was cut short; retry it`, 'SIZE_MISMATCH');
  }
  if (received === 0) throw bad('a chunk must hold at least 1 byte: do not store empty chunks', 'EMPTY_CHUNK');
  if (sha256.length === 0 && !header.sha256) throw bad('no checksum in the header or the trailer: send the chunk sha256 in one of them', 'CHECKSUM_MISMATCH');
  if (sha256.length !== 0 && sha256.length !== 32) throw bad(`trailer sha256 must be 32 bytes, got ${sha256.length}`, 'CHECKSUM_MISMATCH');
  if (sha256.length === 32 && header.sha256 && !bytesEqual(sha256, header.sha256)) {
    throw new DfsError(Code.DataLoss, 'the trailer checksum differs from the header checksum: the source changed while it was sent; retry', {
      reason: 'CHECKSUM_MISMATCH',
    });
  }
  return { size, sha256: sha256.length === 32 ? sha256 : header.sha256! };
}

function bad(message: string, reason: DfsErrorReason): DfsError {
  return new DfsError(Code.InvalidArgument, message, { reason });
}
