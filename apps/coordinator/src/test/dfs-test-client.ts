// A minimal client for coordinator integration tests: the upload protocol
// spelled out (create → write chunks through the data path → commit). The
// real client is @dfs/sdk; this keeps the coordinator's tests independent of it.
import { createHash } from 'node:crypto';
import type { Client } from '@connectrpc/connect';
import type { ClientPool } from '@dfs/client-pool';
import { CoordinatorService, DatanodeService } from '@dfs/proto';
import { frameBytes, readChunkStream, writeChunkStream } from '@dfs/streamer';

export function coordinator(pool: ClientPool, address: string): Client<typeof CoordinatorService> {
  return pool.client(CoordinatorService, address);
}

export async function uploadBytes(
  pool: ClientPool,
  coordinatorAddress: string,
  path: string,
  data: Uint8Array,
  options: { chunkSize?: number; replication?: number; overwrite?: boolean } = {},
) {
  const c = coordinator(pool, coordinatorAddress);
  const up = await c.createUpload({ path, size: BigInt(data.length), chunkSize: BigInt(options.chunkSize ?? 0), replication: options.replication ?? 0, overwrite: options.overwrite ?? false });
  const chunkSize = Number(up.chunkSize);
  const chunks = await Promise.all(
    up.placements.map(async (p) => {
      const bytes = data.subarray(p.index * chunkSize, (p.index + 1) * chunkSize);
      const [primary, ...rest] = p.targets;
      const { result } = await writeChunkStream(pool.client(DatanodeService, primary!.address), {
        chunkId: p.chunkId,
        size: bytes.length,
        pipeline: rest,
        uploadId: up.uploadId,
        frames: frameBytes(
          (async function* () {
            yield bytes;
          })(),
          Math.min(1024 * 1024, Math.max(16 * 1024, bytes.length)),
        ),
        idleTimeoutMs: 10_000,
      });
      return {
        chunkId: p.chunkId,
        index: p.index,
        size: result.size,
        sha256: result.sha256,
        replicaNodeIds: result.replicas.filter((r) => r.durable).map((r) => r.replica!.nodeId),
      };
    }),
  );
  const fileSha256 = createHash('sha256').update(data).digest();
  const commit = { uploadId: up.uploadId, chunks, fileSha256, size: BigInt(data.length) };
  const { file } = await c.commitUpload(commit);
  return { file: file!, uploadId: up.uploadId, placements: up.placements, commit };
}

/** Reads a whole file back through GetFile and the data path (first readable replica). */
export async function downloadBytes(pool: ClientPool, coordinatorAddress: string, path: string): Promise<Buffer> {
  const { chunks } = await coordinator(pool, coordinatorAddress).getFile({ path });
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) {
    for await (const p of readChunkStream(pool.client(DatanodeService, chunk.replicas[0]!.address), { chunkId: chunk.chunkId, expectedSha256: chunk.sha256 })) parts.push(p);
  }
  return Buffer.concat(parts);
}

