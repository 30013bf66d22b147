import type { MembershipStore, NodeRecord } from './membership-store.js';

/**
 * A MembershipStore in a Map, for tests and for tools that need membership
 * without a metadata backend. Records are copied in and out, so callers can
 * never mutate what the store holds.
 */
export function createMemoryMembershipStore(): MembershipStore {
  const nodes = new Map<string, NodeRecord>();
  let version = 0;
  return {
    async putNode(node) {
      version += 1;
      const stored = copy({ ...node, version });
      nodes.set(node.nodeId, stored);
      return copy(stored);
    },
    async getNode(nodeId) {
      const found = nodes.get(nodeId);
      return found && copy(found);
    },
    async listNodes() {
      return [...nodes.values()].map(copy);
    },
    async nodesChangedSince(sinceVersion) {
      // Every record is kept, so any version this store handed out can be
      // answered incrementally; one from the future is another store's.
      const full = sinceVersion > version;
      const changed = [...nodes.values()].filter((n) => full || n.version > sinceVersion);
      return { nodes: changed.sort((a, b) => a.version - b.version).map(copy), version, full };
    },
  };
}

function copy(node: NodeRecord): NodeRecord {
  return { ...node, registeredAt: new Date(node.registeredAt), lastHeartbeat: new Date(node.lastHeartbeat) };
}
