import type { ChunkInfo, ChunkStore } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import { Code, DatanodeService, DfsError, bytesEqual, toHex, type Replica, type WriteChunkResult } from '@dfs/proto';
import { writeChunkStream, type ByteBudget } from '@dfs/streamer';
import type { InFlight } from './in-flight.js';

export interface CopyDeps {
  store: ChunkStore;
  pool: ClientPool;
  inFlight: InFlight;
  write: { replicaWindowFrames: number; replicaIdleTimeoutMs: number };
  /** One slot per running copy (copy.maxActive); handed out in order of asking. */
  copySlots: ByteBudget;
  /** This node (its address is known once the server listens): never a copy target. */
  self: Pick<Replica, 'nodeId' | 'address'>;
}

/**
 * Pushes a local chunk to another node (re-replication, draining): read with
 * block verification, written there with the stored checksum, so the target
 * verifies it end to end. Resolves once the target's answer says it holds
 * this very chunk durably (see checkCopyResult).
 */
export async function copyChunkTo(deps: CopyDeps, chunkId: string, target: Pick<Replica, 'nodeId' | 'address'>, signal: AbortSignal): Promise<void> {
  // A copy to this node would find the chunk already stored, and report a
  // second copy where there is still one.
  if ((target.nodeId !== '' && target.nodeId === deps.self.nodeId) || target.address === deps.self.address) {
    throw new DfsError(Code.InvalidArgument, `copy target ${target.nodeId || target.address} is this node itself: name another node to copy chunk ${chunkId} to`);
  }
  // Copies beyond the limit wait here, before they count as transfers or
  // open anything, so re-replication never crowds out client reads and writes.
  await deps.copySlots.acquire(1, signal);
  try {
    await copyNow(deps, chunkId, target, signal);
  } finally {
    deps.copySlots.release(1);
  }
}

async function copyNow(deps: CopyDeps, chunkId: string, target: Pick<Replica, 'nodeId' | 'address'>, signal: AbortSignal): Promise<void> {
  const op = deps.inFlight.begin('copy');
  const firstAck = firstAckWatch(deps.write.replicaIdleTimeoutMs, `copy of chunk ${chunkId} to ${target.address}`);
  try {
    const reader = await deps.store.openReader(chunkId, { signal });
    try {
      const all = AbortSignal.any([signal, op.signal, firstAck.signal]);
      const { info } = reader;
      const { result } = await writeChunkStream(deps.pool.client(DatanodeService, target.address), {
        chunkId: info.chunkId,
        size: info.size,
        sha256: info.sha256,
        uploadId: info.uploadId,
        frames: reader.read({ offset: 0, length: 0, signal: all }),
        minReplicas: 1,
        windowFrames: deps.write.replicaWindowFrames,
        idleTimeoutMs: deps.write.replicaIdleTimeoutMs,
        signal: all,
        trailerSha256: () => info.sha256,
        onProgress: firstAck.acked,
      });
      checkCopyResult(result, info, target, deps.self);
    } finally {
      await reader.close();
    }
  } finally {
    firstAck.acked();
    await op.end();
  }
}

/**
 * A copy counts only if the target says it holds durably the chunk we
 * sent: the same id, size and checksum (it verified our bytes against that
 * checksum), on the node we meant. Anything else is the target breaking the
 * WriteChunk contract (a bug, or an address now served by another node):
 * Internal, or FailedPrecondition for the wrong node, as replica-forward.ts
 * answers the same faults of a pipeline replica. Not DataLoss: our copy is
 * intact, and DataLoss (CORRUPT_CHUNK) is what says that a source's copy is bad.
 */
function checkCopyResult(result: WriteChunkResult, info: ChunkInfo, target: Pick<Replica, 'nodeId' | 'address'>, self: Pick<Replica, 'nodeId'>): void {
  const to = `copy of chunk ${info.chunkId} to ${target.address}`;
  const own = result.replicas[0];
  if (own?.replica?.nodeId && own.replica.nodeId === self.nodeId) {
    throw new DfsError(Code.InvalidArgument, `${to}: that address is this node itself; name another node`);
  }
  if (target.nodeId && own?.replica?.nodeId !== target.nodeId) {
    throw new DfsError(Code.FailedPrecondition, `${to}: the node there is ${own?.replica?.nodeId || 'unnamed'}, not ${target.nodeId}; the copy does not count, place it again`);
  }
  const wrong: string[] = [];
  if (result.chunkId !== info.chunkId) wrong.push(`chunk id ${JSON.stringify(result.chunkId.slice(0, 40))}`);
  if (result.size !== BigInt(info.size)) wrong.push(`size ${result.size} instead of ${info.size}`);
  if (!bytesEqual(result.sha256, info.sha256)) wrong.push(`checksum ${toHex(result.sha256).slice(0, 16)}… instead of ${toHex(info.sha256).slice(0, 16)}…`);
  if (wrong.length > 0) throw new DfsError(Code.Internal, `${to}: the target answered with ${wrong.join(', ')}; the copy does not count, place it again`);
  if (!own?.durable) {
    throw new DfsError(Code.Internal, `${to}: the target did not report its copy durable (${own?.errorMessage || 'no reason given'}); place it again`);
  }
}

/**
 * writeChunkStream starts its idle clock once a frame is in flight. A target
 * that accepts TCP but never takes the stream (stalled, or its connection
 * window used up by earlier copies that timed out) gets no frame, so the
 * copy, and its slot, would wait forever. This aborts unless the first
 * acknowledgement (progress or keepalive) comes within the same idle timeout.
 */
function firstAckWatch(idleTimeoutMs: number, what: string): { signal: AbortSignal; acked: () => void } {
  const controller = new AbortController();
  const timer =
    idleTimeoutMs > 0
      ? setTimeout(() => {
          const error = new DfsError(Code.DeadlineExceeded, `${what}: no acknowledgement within ${idleTimeoutMs} ms; the target is stalled or gone`, {
            reason: 'IDLE_TIMEOUT',
          });
          controller.abort(error);
        }, idleTimeoutMs)
      : undefined;
  return { signal: controller.signal, acked: () => clearTimeout(timer) };
}
