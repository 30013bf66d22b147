// Test helpers that look under the SDK: which chunks a file has, which
// datanodes hold them on disk, and damage to a chunk file.
import { createClientPool } from '@dfs/client-pool';
import { CoordinatorService, type ChunkLocation } from '@dfs/proto';
import { chunkIdsIn, corruptChunkFile, type ClusterDatanode, type TestCluster } from '@dfs/test-cluster';

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
