import type { NodeInfo, NodeStateName } from '@dfs/sdk';

/** The one datanode the node commands' specs talk about, in `state`. */
export function fakeNode(state: NodeStateName): NodeInfo {
  return {
    nodeId: 'node-1',
    address: '127.0.0.1:9101',
    zone: '',
    state,
    capacityBytes: 100,
    usedBytes: 10,
    chunkCount: 4,
    lastHeartbeat: new Date('2025-01-31T12:00:00Z'),
  };
}
