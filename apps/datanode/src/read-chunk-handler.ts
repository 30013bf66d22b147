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
import type { ByteBudget } from '@dfs/streamer';
import type { InFlight, InFlightOp } from './in-flight.js';
import { resetStreamKey } from './reset-stream-key.js';

const MIN_READ_FRAME = 64 * 1024;

export interface ReadChunkHandlerDeps {
  store: ChunkStore;
  inFlight: InFlight;
  read: {
    /**
     * A reply the client has not taken (flow control) for this long ends the
     * read; 0 never does. A client that stops reading without canceling
     * would otherwise hold an fd, a window buffer and a transfer for ever.
     */
    idleTimeoutMs: number;
    /** One slot per running read (read.maxActive); more wait, holding nothing but their request. */
    slots: ByteBudget;
  };
}

/**
 * ReadChunk: a header with the chunk's size, checksum and the digests of the
 * blocks the range covers (so the client can verify too), then the range in
 * frames. The store verifies every block it reads before handing out bytes.
 */
export function createReadChunkHandler(deps: ReadChunkHandlerDeps) {
  const { idleTimeoutMs, slots } = deps.read;
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
    // Reads beyond read.maxActive wait here, before they open anything.
    await slots.acquire(1, ctx.signal);
    // Ends on the client's abort or the idle watchdog too (see InFlight.begin),
    // closing the reader: its close waits for a read in progress on its file.
    const idle = new AbortController();
    let op: InFlightOp;
    try {
      op = deps.inFlight.begin('read', AbortSignal.any([ctx.signal, idle.signal]));
    } catch (err) {
      slots.release(1);
      throw err;
    }
    op.onEnd(() => slots.release(1));
    const watchdog = new SendWatchdog(idleTimeoutMs, () => {
      // Reset first: it drops the reply the client left queued, and goes out
      // before any reply of a read that the freed slot lets start.
      ctx.values.get(resetStreamKey)();
      idle.abort(
        new DfsError(Code.DeadlineExceeded, `read of chunk ${req.chunkId}: the client took nothing for ${idleTimeoutMs} ms; the read was ended: read again`, {
          reason: 'IDLE_TIMEOUT',
        }),
      );
    });
    op.onEnd(() => watchdog.disarm());
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
      const header = create(ReadChunkResponseSchema, {
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
      // Only the time parked at a yield counts (Connect resumes the generator
      // once the stream took the reply): our own disk reads do not.
      watchdog.arm();
      yield header;
      watchdog.disarm();
      if (end === offset) return;
      let pos = offset;
      for await (const data of reader.read({ offset, length: end - offset, frameSize: req.frameSize || DEFAULT_FRAME_SIZE, signal })) {
        watchdog.arm();
        yield create(ReadChunkResponseSchema, { message: { case: 'frame', value: { offset: BigInt(pos), data } } });
        watchdog.disarm();
        pos += data.length;
      }
    } finally {
      await op.end();
    }
  };
}

/** Calls `onStall` if a send stays armed for `timeoutMs` (0: never). */
class SendWatchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly onStall: () => void,
  ) {}

  arm(): void {
    if (this.timeoutMs > 0) this.timer = setTimeout(this.onStall, this.timeoutMs);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
