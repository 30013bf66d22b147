import { chunkIdsIn, eventually, type TestCluster } from '@dfs/test-cluster';

/**
 * Waits until no datanode of `cluster` holds a chunk file: after a delete,
 * so that the garbage collector's disk work (1 s after the delete with the
 * test cluster's DFS_GC_DELAY) is not measured as part of the next case.
 * False when chunks were still there after `timeoutMs`.
 */
export function waitForChunksGone(cluster: TestCluster, timeoutMs = 60_000): Promise<boolean> {
  return eventually(async () => (await Promise.all(cluster.datanodes.map((d) => chunkIdsIn(d.dataDir)))).every((ids) => ids.length === 0), timeoutMs, 200);
}
