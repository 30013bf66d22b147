import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { ChunkStore } from '@dfs/chunk-store';
import {
  CHUNK_BLOCK_SIZE,
  Code,
  DEFAULT_FRAME_SIZE,
  DfsError,
  MAX_FRAME_SIZE,
  ReadChunkResponseSchema,
  isChunkId,
  type ReadChunkRequest,
  type ReadChunkResponse,
} from '@dfs/proto';
import type { InFlight } from './in-flight.js';

const MIN_READ_FRAME = 64 * 1024;

/**
 * ReadChunk: a header with the chunk's size, checksum and the digests of the
 * blocks the range covers (so the client can verify too), then the range in
 * frames. The store verifies every block it reads before handing out bytes.
 */
export function createReadChunkHandler(deps: { store: ChunkStore; inFlight: InFlight }) {
  return async function* readChunk(req: ReadChunkRequest, ctx: HandlerContext): AsyncGenerator<ReadChunkResponse> {
    if (!isChunkId(req.chunkId)) {
      throw new DfsError(Code.InvalidArgument, `malformed chunk id ${JSON.stringify(String(req.chunkId).slice(0, 80))}: expected 32 lowercase hex characters`, {
        reason: 'BAD_CHUNK_ID',
      });
    }
    if (req.offset < 0n || req.length < 0n) {
      throw new DfsError(Code.InvalidArgument, `offset (${req.offset}) and length (${req.length}) must not be negative`, { reason: 'BAD_RANGE' });
    }
    if (req.frameSize !== 0 && (req.frameSize < MIN_READ_FRAME || req.frameSize > MAX_FRAME_SIZE)) {
      throw new DfsError(Code.InvalidArgument, `frame size ${req.frameSize} is outside ${MIN_READ_FRAME}..${MAX_FRAME_SIZE}; send 0 for the default`, { reason: 'BAD_FRAME' });
    }
    // Ends on the client's abort too (see InFlight.begin), closing the reader:
    // its close waits for a read in progress on its file.
    const op = deps.inFlight.begin('read', ctx.signal);
    const signal = op.signal;
    const reader = await deps.store.openReader(req.chunkId, { signal }).catch(async (err) => {
      await op.end();
      throw err;
    });
    op.onEnd(() => reader.close());
    try {
      const size = reader.info.size;
      const offset = Number(req.offset);
      const end = req.length === 0n ? size : offset + Number(req.length);
      if (offset > size || end > size) {
        throw new DfsError(Code.OutOfRange, `range ${offset}..${end} is past the end of chunk ${req.chunkId} (${size} bytes)`, { reason: 'BAD_RANGE' });
      }
      const first = Math.floor(offset / CHUNK_BLOCK_SIZE);
      const count = end > offset ? Math.floor((end - 1) / CHUNK_BLOCK_SIZE) - first + 1 : 0;
      yield create(ReadChunkResponseSchema, {
        message: {
          case: 'header',
          value: {
            chunkSize: BigInt(size),
            sha256: reader.info.sha256,
            blockSize: CHUNK_BLOCK_SIZE,
            firstBlock: first,
            blockSha256: count > 0 ? await reader.blockDigests(first, count) : [],
          },
        },
      });
      if (end === offset) return;
      let pos = offset;
      for await (const data of reader.read({ offset, length: end - offset, frameSize: req.frameSize || DEFAULT_FRAME_SIZE, signal })) {
        yield create(ReadChunkResponseSchema, { message: { case: 'frame', value: { offset: BigInt(pos), data } } });
        pos += data.length;
      }
    } finally {
      await op.end();
    }
  };
}
