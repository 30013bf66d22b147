import { create } from '@bufbuild/protobuf';
import { placeChunks, type Membership } from '@dfs/cluster';
import { ReplicaSchema, type Replica } from '@dfs/proto';
import type { Placer } from './placer.js';

/** Placement and replica lookup over the live membership table. */
export function clusterPlacer(membership: Membership): Placer {
  return {
    liveCount: () => membership.live().length,
    place(count, { replication, chunkSize, excludeNodeIds }) {
      return placeChunks(membership.live(), count, { replication, chunkSize, exclude: excludeNodeIds }).map((nodes) =>
        nodes.map((n) => create(ReplicaSchema, { nodeId: n.nodeId, address: n.address })),
      );
    },
    readable(nodeIds) {
      const rank = { healthy: 0, draining: 1, drained: 2, suspect: 3 } as Record<string, number>;
      const found: Array<{ replica: Replica; rank: number }> = [];
      for (const id of nodeIds) {
        const n = membership.node(id);
        if (!n || rank[n.state] === undefined) continue;
        found.push({ replica: create(ReplicaSchema, { nodeId: n.nodeId, address: n.address }), rank: rank[n.state]! });
      }
      return found.sort((a, b) => a.rank - b.rank).map((f) => f.replica);
    },
  };
}
