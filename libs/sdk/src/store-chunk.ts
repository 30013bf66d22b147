import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { ChunkHasher, Code, CommittedChunkSchema, DEFAULT_FRAME_SIZE, DfsError as WireError, MIN_FRAME_SIZE, bytesEqual, type ChunkPlacement, type CommittedChunk } from '@dfs/proto';
import { frameBytes, writeChunkStream } from '@dfs/streamer';
import type { ChunkBody } from './chunk-source.js';
import type { ClientContext } from './client-context.js';
import type { PlacementQueue } from './placement-queue.js';

/** Write attempts per chunk, the first included. */
export const MAX_CHUNK_ATTEMPTS = 5;

/** Durable copies a chunk needs at the least: the coordinator's default minimum, capped at the replication. */
const MIN_DURABLE = 2;

/** Failures of a chunk write that another placement may not have. */
const REPLACEABLE: ReadonlySet<Code> = new Set([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.ResourceExhausted,
  Code.Aborted,
  Code.Internal,
  Code.Unknown,
  Code.DataLoss,
]);

/** What the chunk writes of one upload share. */
export interface ChunkWriteContext {
  ctx: ClientContext;
  uploadId: string;
  placements: PlacementQueue;
  /** Nodes that failed a write of this upload; chunks are not placed on them again while others can be had. */
  failedNodes: Set<string>;
  /** Bytes of a chunk acknowledged so far by all its live copies (restarts from 0 on a new placement). */
  onProgress?: (body: ChunkBody, bytesAcked: number) => void;
}

/**
 * Stores one chunk and returns what the commit needs. The write goes to the
 * placement's primary, which forwards it to the other targets. A write that
 * fails before its final acknowledgement (the primary down or stalled, bytes
 * damaged on the way) or that ends with fewer durable copies than the
 * replication is written again under a new chunk id on other nodes
 * (AllocateChunks excluding every node that failed in this upload), up to
 * MAX_CHUNK_ATTEMPTS writes. A write with at least the minimum of durable
 * copies is kept when no full set of other nodes can be had. Bytes that fail
 * their checksum because the source changed after it was hashed end the
 * chunk at once with FailedPrecondition, blaming no node.
 */
export async function storeChunk(w: ChunkWriteContext, body: ChunkBody, signal: AbortSignal): Promise<CommittedChunk> {
  let placement = await w.placements.take(body.index, signal);
  if (placement.targets.some((t) => w.failedNodes.has(t.nodeId))) {
    placement = await w.placements.replace(body.index, w.failedNodes, signal).catch(unlessNoNodes(placement));
  }
  let lastError: WireError | undefined;
  for (let attempt = 1; ; attempt++) {
    const outcome = await writeOnce(w, body, placement, signal);
    let acceptable: CommittedChunk | undefined;
    if ('error' in outcome) {
      if (signal.aborted || !REPLACEABLE.has(outcome.error.code)) throw outcome.error;
      // The nodes check the bytes against the checksum taken when the chunk
      // was read. A mismatch is damage on the way, or a source that changed
      // since (a local file rewritten in place): then no node would ever
      // take the bytes, and blaming this one would only drive other chunks
      // off healthy nodes. Throws FailedPrecondition in that case.
      if (outcome.error.code === Code.DataLoss) await checkSourceUnchanged(body, signal, outcome.error);
      lastError = outcome.error;
      w.failedNodes.add(placement.targets[0]!.nodeId);
    } else {
      const missing = placement.targets.filter((t) => !outcome.durable.includes(t.nodeId));
      if (missing.length === 0) return committed(body, placement, outcome.durable);
      for (const t of missing) w.failedNodes.add(t.nodeId);
      if (outcome.durable.length >= Math.min(MIN_DURABLE, placement.targets.length)) acceptable = committed(body, placement, outcome.durable);
      lastError = new WireError(Code.Unavailable, `only ${outcome.durable.length} of ${placement.targets.length} copies became durable (not on ${missing.map((t) => t.address).join(', ')})`, {
        reason: 'NOT_ENOUGH_REPLICAS',
      });
    }
    if (attempt === MAX_CHUNK_ATTEMPTS) {
      if (acceptable) return acceptable;
      throw new WireError(lastError.code, `chunk ${body.index} could not be stored in ${attempt} attempts on different datanodes; last: ${lastError.rawMessage}`, {
        reason: lastError.reason,
        cause: lastError,
      });
    }
    try {
      placement = await w.placements.replace(body.index, w.failedNodes, signal);
    } catch (err) {
      if (WireError.from(err).code !== Code.FailedPrecondition) throw err;
      // Too few other nodes: an under-replicated copy is the best there is;
      // without one, try the failed nodes again (they may have been briefly away).
      if (acceptable) return acceptable;
      await sleep(100 * 2 ** attempt, undefined, { signal });
      placement = await w.placements.replace(body.index, [], signal);
    }
  }
}

/** For a re-placement that is only preferred: keep `placement` when the cluster has no other nodes. */
function unlessNoNodes(placement: ChunkPlacement): (err: unknown) => ChunkPlacement {
  return (err) => {
    if (WireError.from(err).code === Code.FailedPrecondition) return placement;
    throw err;
  };
}

type WriteOutcome = { durable: string[] } | { error: WireError };

/**
 * Reads the chunk again from its source and throws FailedPrecondition if its
 * bytes no longer match the checksum they were sent with (so the mismatch is
 * the source's doing, not the node's). Costs one more read of the chunk, on
 * this failure only. A source that shrank fails its read the same way.
 */
async function checkSourceUnchanged(body: ChunkBody, signal: AbortSignal, mismatch: WireError): Promise<void> {
  const hasher = new ChunkHasher();
  let size = 0;
  for await (const piece of body.read(frameSizeOf(body), signal)) {
    hasher.update(piece);
    size += piece.length;
  }
  if (size !== body.size || !bytesEqual(hasher.digest().sha256, body.sha256)) {
    throw new WireError(
      Code.FailedPrecondition,
      `${body.origin} changed while it was being uploaded (chunk ${body.index}, bytes ${body.offset} to ${body.offset + body.size}, no longer has the bytes it was hashed with); upload it again once it is no longer being written`,
      { cause: mismatch, reason: 'SOURCE_CHANGED' },
    );
  }
}

function frameSizeOf(body: ChunkBody): number {
  return Math.min(DEFAULT_FRAME_SIZE, Math.max(MIN_FRAME_SIZE, body.size));
}

async function writeOnce(w: ChunkWriteContext, body: ChunkBody, placement: ChunkPlacement, signal: AbortSignal): Promise<WriteOutcome> {
  const [primary, ...pipeline] = placement.targets;
  if (!primary) return { error: new WireError(Code.Internal, `chunk ${body.index}: the coordinator placed it on no node`) };
  const frameSize = frameSizeOf(body);
  try {
    await w.ctx.chunkWrites.acquire(body.size, signal);
  } catch (err) {
    return { error: WireError.from(err) };
  }
  try {
    const { result } = await writeChunkStream(w.ctx.datanode(primary.address), {
      chunkId: placement.chunkId,
      size: body.size,
      sha256: body.sha256,
      trailerSha256: () => body.sha256,
      pipeline,
      uploadId: w.uploadId,
      // The node then reports every copy's outcome instead of failing the
      // whole write below its own minimum: this side decides what to retry,
      // knowing which nodes failed.
      minReplicas: 1,
      frames: frameBytes(body.read(frameSize, signal), frameSize),
      idleTimeoutMs: w.ctx.idleTimeoutMs,
      signal,
      onProgress: (acked) => w.onProgress?.(body, acked),
    });
    if (result.chunkId !== placement.chunkId || Number(result.size) !== body.size || !bytesEqual(result.sha256, body.sha256)) {
      return { error: new WireError(Code.DataLoss, `chunk ${body.index}: the datanode acknowledged other bytes than were sent`, { reason: 'CHECKSUM_MISMATCH' }) };
    }
    const durable = result.replicas.filter((r) => r.durable && r.replica).map((r) => r.replica!.nodeId);
    return { durable: [...new Set(durable)] };
  } catch (err) {
    return { error: WireError.from(err) };
  } finally {
    w.ctx.chunkWrites.release(body.size);
  }
}

function committed(body: ChunkBody, placement: ChunkPlacement, durable: string[]): CommittedChunk {
  return create(CommittedChunkSchema, { chunkId: placement.chunkId, index: body.index, size: BigInt(body.size), sha256: body.sha256, replicaNodeIds: durable });
}
