// Test helpers that look under the SDK: which chunks a file has, which
// datanodes hold them on disk, and damage to or loss of a chunk file.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createClientPool } from '@dfs/client-pool';
import { CoordinatorService, type ChunkLocation } from '@dfs/proto';
import { chunkIdsIn, corruptChunkFile, filesUnder, type ClusterDatanode, type TestCluster } from '@dfs/test-cluster';

/** The chunks of a file in index order, replicas best first, as the coordinator tells clients (GetFile). */
export async function chunksOf(cluster: TestCluster, path: string): Promise<ChunkLocation[]> {
  const pool = createClientPool();
  try {
    return (await pool.client(CoordinatorService, cluster.coordinator.address).getFile({ path })).chunks;
  } finally {
    await pool.close();
  }
}

/** The chunk ids of a file, in index order. */
export async function chunkIdsOf(cluster: TestCluster, path: string): Promise<string[]> {
  return (await chunksOf(cluster, path)).map((c) => c.chunkId);
}

/** Datanodes holding a stored copy of `chunkId` on disk (killed ones included). */
export async function holdersOf(cluster: TestCluster, chunkId: string): Promise<ClusterDatanode[]> {
  const held = await Promise.all(cluster.datanodes.map(async (d) => (await chunkIdsIn(d.dataDir)).includes(chunkId)));
  return cluster.datanodes.filter((_, i) => held[i]);
}

/** Every chunk id on every datanode's disk. */
export async function allChunkIds(cluster: TestCluster): Promise<Set<string>> {
  return new Set((await Promise.all(cluster.datanodes.map((d) => chunkIdsIn(d.dataDir)))).flat());
}

/** Flips bytes in the data of `chunkId`'s file on `node`, as a failing disk would. */
export function corruptChunk(node: ClusterDatanode, chunkId: string): Promise<void> {
  return corruptChunkFile(node.dataDir, chunkId);
}

/** Deletes the file of `chunkId` on `node` behind its back, as an operator wiping the node would (reads of it then answer NotFound). */
export async function removeChunk(node: ClusterDatanode, chunkId: string): Promise<void> {
  const dir = join(node.dataDir, 'chunks');
  const file = (await filesUnder(dir)).find((f) => f.endsWith(`${chunkId}.chunk`));
  if (!file) throw new Error(`${node.dataDir} holds no chunk ${chunkId}`);
  await unlink(join(dir, file));
}
