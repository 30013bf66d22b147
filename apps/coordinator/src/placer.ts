import type { Replica } from '@dfs/proto';

/**
 * What the namespace service needs from membership: where new chunks go, and
 * where existing replicas can be read. Implemented over libs/cluster; a port
 * so namespace rules are testable without a cluster.
 */
export interface Placer {
  /** Nodes that can take new chunks now. */
  liveCount(): number;
  /** `count` placements of `replication` distinct nodes each, primary first; FailedPrecondition when impossible. */
  place(count: number, options: { replication: number; chunkSize: number; excludeNodeIds?: ReadonlySet<string> }): Replica[][];
  /** The replicas of a chunk that can serve reads, best first (healthy before suspect; dead and unknown left out). */
  readable(nodeIds: readonly string[]): Replica[];
}
