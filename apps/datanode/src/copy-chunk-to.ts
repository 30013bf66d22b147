import type { ChunkStore } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import { Code, DatanodeService, DfsError, type Replica } from '@dfs/proto';
import { writeChunkStream, type ByteBudget } from '@dfs/streamer';
import type { InFlight } from './in-flight.js';

export interface CopyDeps {
  store: ChunkStore;
  pool: ClientPool;
  inFlight: InFlight;
  write: { replicaWindowFrames: number; replicaIdleTimeoutMs: number };
  /** One slot per running copy (copy.maxActive); handed out in order of asking. */
  copySlots: ByteBudget;
}

/**
 * Pushes a local chunk to another node (re-replication, draining): read with
 * block verification, written there with the stored checksum, so the target
 * verifies it end to end. Resolves once the target holds it durably.
 */
export async function copyChunkTo(deps: CopyDeps, chunkId: string, target: Pick<Replica, 'nodeId' | 'address'>, signal: AbortSignal): Promise<void> {
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
      await writeChunkStream(deps.pool.client(DatanodeService, target.address), {
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
    } finally {
      await reader.close();
    }
  } finally {
    firstAck.acked();
    await op.end();
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
