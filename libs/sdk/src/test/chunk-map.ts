// Test helpers that look under the SDK: which chunks a file has, which
// datanodes hold them on disk, and damage to a chunk file.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createClientPool } from '@dfs/client-pool';
import { CoordinatorService, type ChunkLocation } from '@dfs/proto';
import { chunkIdsIn, filesUnder, type ClusterDatanode, type TestCluster } from '@dfs/test-cluster';

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

/** Flips bytes in the data of `chunkId`'s file on `node` (past the 256-byte header), as a failing disk would. */
export async function corruptChunk(node: ClusterDatanode, chunkId: string): Promise<void> {
  const file = (await filesUnder(join(node.dataDir, 'chunks'))).find((f) => f.endsWith(`${chunkId}.chunk`));
  if (!file) throw new Error(`${node.address} holds no chunk ${chunkId}`);
  const fh = await open(join(node.dataDir, 'chunks', file), 'r+');
  try {
    const at = 256 + 100;
    const byte = Buffer.alloc(16);
    await fh.read(byte, 0, 16, at);
    for (let i = 0; i < byte.length; i++) byte[i] = byte[i]! ^ 0xff;
    await fh.write(byte, 0, 16, at);
  } finally {
    await fh.close();
  }
}
