import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import {
  ChunkHasher,
  Code,
  DatanodeService,
  DfsError,
  WriteChunkRequestSchema,
  callError,
  isDfsError,
  type ChunkDigest,
  type Replica,
  type WriteChunkRequest,
  type WriteChunkResult,
} from '@dfs/proto';
import { AckWindow } from './ack-window.js';

export interface WriteChunkStreamOptions {
  chunkId: string;
  /** Declared size; omit when unknown (the trailer carries it). */
  size?: number;
  /** Expected checksum; omit to have it computed while sending (sent in the trailer). */
  sha256?: Uint8Array;
  /** Replicas the receiving node forwards to. Default none. */
  pipeline?: Replica[];
  uploadId?: string;
  /** Copies that must be durable for success; 0 = the node's default. */
  minReplicas?: number;
  /** The chunk's bytes, one frame per item (at most MAX_FRAME_SIZE each; see frameBytes). */
  frames: AsyncIterable<Uint8Array>;
  /** Unacknowledged frames allowed in flight. Default 8. */
  windowFrames?: number;
  /** Longest wait for an ack while frames or the result are outstanding, in ms. Default 30 000. */
  idleTimeoutMs?: number;
  /** Deadline for the whole call, in ms. Default none. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Bytes acknowledged by the node (and its live replicas). */
  onProgress?: (bytesAcked: number) => void;
  /**
   * Checksum to send in the trailer instead of hashing while sending, read
   * once the frames are exhausted. A primary forwarding to replicas passes the
   * client's checksum, so each replica verifies the client's bytes itself
   * (and the primary does not hash the chunk once more per replica).
   */
  trailerSha256?: () => Uint8Array;
}

export interface WriteChunkStreamResult {
  result: WriteChunkResult;
  /** What this side sent, hashed while sending (absent with trailerSha256). */
  digest: ChunkDigest | undefined;
}

/**
 * Streams one chunk to a datanode's WriteChunk: header, frames under a window
 * of unacknowledged frames, trailer with the size and checksum computed while
 * sending; resolves with the node's final result (durable replicas named).
 * A peer that stops acknowledging for idleTimeoutMs ends the call with
 * DeadlineExceeded; `signal` ends it with Canceled. Holds at most the frames
 * of one window.
 */
export async function writeChunkStream(
  client: Client<typeof DatanodeService>,
  options: WriteChunkStreamOptions,
): Promise<WriteChunkStreamResult> {
  const windowFrames = options.windowFrames ?? 8;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const window = new AckWindow(windowFrames);
  const hasher = new ChunkHasher();
  let digest: ChunkDigest | undefined;
  let sent = 0;
  let trailerSent = false;
  const source = options.frames[Symbol.asyncIterator]();
  let sourceDone = false;
  let lastActivity = Date.now();
  let pullingSource = false;
  let idleError: DfsError | undefined;

  async function* requests(): AsyncGenerator<WriteChunkRequest> {
    yield create(WriteChunkRequestSchema, {
      message: {
        case: 'header',
        value: {
          chunkId: options.chunkId,
          size: options.size === undefined ? undefined : BigInt(options.size),
          sha256: options.sha256 ?? new Uint8Array(0),
          pipeline: options.pipeline ?? [],
          uploadId: options.uploadId ?? '',
          minReplicas: options.minReplicas ?? 0,
        },
      },
    });
    for (;;) {
      // Waiting for our own source is not the peer's stall: the idle clock pauses.
      pullingSource = true;
      const next = await source.next();
      pullingSource = false;
      lastActivity = Date.now();
      if (next.done) break;
      const data = next.value;
      await window.acquire(sent + data.length, controller.signal);
      if (!options.trailerSha256) hasher.update(data);
      yield create(WriteChunkRequestSchema, { message: { case: 'frame', value: { offset: BigInt(sent), data } } });
      sent += data.length;
    }
    sourceDone = true;
    let sha256: Uint8Array;
    if (options.trailerSha256) {
      sha256 = options.trailerSha256();
    } else {
      digest = hasher.digest();
      sha256 = digest.sha256;
    }
    lastActivity = Date.now();
    trailerSent = true;
    yield create(WriteChunkRequestSchema, { message: { case: 'trailer', value: { size: BigInt(sent), sha256 } } });
  }

  const watchdog =
    idleTimeoutMs > 0
      ? setInterval(
          () => {
            // Everything but our own source counts: a stream the peer never
            // opens or never pulls from (flow control) stalls like a silent ack.
            if (!pullingSource && !result && Date.now() - lastActivity > idleTimeoutMs) {
              idleError = new DfsError(
                Code.DeadlineExceeded,
                `chunk ${options.chunkId}: no acknowledgement for ${idleTimeoutMs} ms; the datanode is stalled or gone`,
                { reason: 'IDLE_TIMEOUT' },
              );
              controller.abort(idleError);
            }
          },
          Math.max(10, Math.min(1000, idleTimeoutMs / 4)),
        )
      : undefined;

  let result: WriteChunkResult | undefined;
  let ended = false;
  const responses = client.writeChunk(requests(), { signal: controller.signal, timeoutMs: options.timeoutMs })[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await responses.next();
      if (next.done) {
        ended = true;
        break;
      }
      const res = next.value;
      lastActivity = Date.now();
      if (res.message.case === 'progress') {
        const acked = Number(res.message.value.bytesAcked);
        window.ack(acked);
        options.onProgress?.(acked);
      } else if (res.message.case === 'result') {
        // The last message: do not wait for the stream's end too, which a node
        // stopped or cut off right after it would never send (the idle watchdog
        // stands down once the result is in). Leaving ends the call.
        result = res.message.value;
        break;
      }
    }
  } catch (err) {
    window.fail(err);
    if (idleError) throw idleError;
    if (options.signal?.aborted) {
      const reason: unknown = options.signal.reason;
      throw isDfsError(reason) ? reason : new DfsError(Code.Canceled, `chunk ${options.chunkId}: write canceled`, { cause: err });
    }
    throw callError(err, options.signal);
  } finally {
    if (watchdog) clearInterval(watchdog);
    options.signal?.removeEventListener('abort', onAbort);
    // Ends the call if we got here by an error, and lets a file-backed
    // source close: Connect stops pulling requests without returning them.
    controller.abort();
    // Let an aborted call settle, so Connect clears its deadline timer.
    if (!ended) void responses.next().catch(() => undefined);
    if (!sourceDone) void Promise.resolve(source.return?.()).catch(() => undefined);
  }
  if (!result || !trailerSent) {
    throw new DfsError(Code.Internal, `chunk ${options.chunkId}: the datanode closed the stream without a result; retry the write`);
  }
  return { result, digest };
}
