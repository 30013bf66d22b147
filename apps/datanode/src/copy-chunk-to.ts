import type { ChunkStore } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import { DatanodeService, type Replica } from '@dfs/proto';
import { writeChunkStream } from '@dfs/streamer';
import type { InFlight } from './in-flight.js';

export interface CopyDeps {
  store: ChunkStore;
  pool: ClientPool;
  inFlight: InFlight;
  write: { replicaWindowFrames: number; replicaIdleTimeoutMs: number };
}

/**
 * Pushes a local chunk to another node (re-replication, draining): read with
 * block verification, written there with the stored checksum, so the target
 * verifies it end to end. Resolves once the target holds it durably.
 */
export async function copyChunkTo(deps: CopyDeps, chunkId: string, target: Pick<Replica, 'nodeId' | 'address'>, signal: AbortSignal): Promise<void> {
  const op = deps.inFlight.begin('copy');
  try {
    const reader = await deps.store.openReader(chunkId, { signal });
    try {
      const both = AbortSignal.any([signal, op.signal]);
      const { info } = reader;
      await writeChunkStream(deps.pool.client(DatanodeService, target.address), {
        chunkId: info.chunkId,
        size: info.size,
        sha256: info.sha256,
        uploadId: info.uploadId,
        frames: reader.read({ offset: 0, length: 0, signal: both }),
        minReplicas: 1,
        windowFrames: deps.write.replicaWindowFrames,
        idleTimeoutMs: deps.write.replicaIdleTimeoutMs,
        signal: both,
        trailerSha256: () => info.sha256,
      });
    } finally {
      await reader.close();
    }
  } finally {
    op.end();
  }
}
