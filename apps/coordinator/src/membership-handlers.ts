import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { Membership, NodeRecord, NodeStats } from '@dfs/cluster';
import type { MetadataStore } from '@dfs/metadata';
import { Code, CoordinatorService, DfsError, NodeInfoSchema, NodeState, type NodeInfo, type NodeStats as NodeStatsMessage } from '@dfs/proto';
import type { ChunkDeletions } from './chunk-deletions.js';
import type { Healing } from './healing.js';

const STATE: Record<NodeRecord['state'], NodeState> = {
  healthy: NodeState.HEALTHY,
  suspect: NodeState.SUSPECT,
  dead: NodeState.DEAD,
  draining: NodeState.DRAINING,
  drained: NodeState.DRAINED,
};

const COUNTS_MAX_AGE_MS = 5_000;

/** RegisterNode, Heartbeat, ReportChunks, ListNodes, ClusterStatus, DrainNode. */
export function membershipHandlers(
  membership: Membership,
  store: MetadataStore,
  deletions: ChunkDeletions,
  healing: Healing,
): Partial<ServiceImpl<typeof CoordinatorService>> {
  // File and chunk totals cost a scan of every file record on etcd: status pages
  // polled every second share one count for a few seconds.
  let counted: { at: number; counts: Promise<{ files: number; chunks: number }> } | undefined;
  const fileCounts = () => {
    if (!counted || Date.now() - counted.at > COUNTS_MAX_AGE_MS) {
      const counts = store.counts();
      counted = { at: Date.now(), counts };
      counts.catch(() => (counted = undefined));
    }
    return counted.counts;
  };
  return {
    async registerNode(req) {
      const node = await membership.register({ nodeId: req.nodeId, address: req.address, zone: req.zone, stats: statsOf(req.stats) });
      // Its copies are trusted again only after the full report that follows.
      healing.registered(req.nodeId);
      return { membershipVersion: BigInt(membership.version), heartbeatIntervalMs: membership.heartbeatIntervalMs, reportChunks: node !== undefined };
    },

    async heartbeat(req) {
      let result;
      try {
        result = await membership.heartbeat(req.nodeId, statsOf(req.stats), Number(req.knownMembershipVersion));
      } catch (err) {
        // A node this coordinator does not know (restart, failover, declared dead) registers again.
        if (DfsError.from(err).code === Code.NotFound) return { reregister: true, membershipVersion: BigInt(membership.version) };
        throw err;
      }
      deletions.confirmRemoved(req.nodeId, req.removedChunkIds);
      await healing.heartbeat(req.nodeId, req.removedChunkIds, req.corruptChunkIds, req.copyOutcomes);
      return {
        membershipVersion: BigInt(result.membershipVersion),
        fullResync: result.full,
        nodeUpdates: result.updates.map(nodeInfo),
        commands: [...deletions.commandsFor(req.nodeId), ...healing.commandsFor(req.nodeId)],
        reportChunks: healing.wantsReport(req.nodeId),
      };
    },

    async reportChunks(req) {
      if (!membership.node(req.nodeId)) throw new DfsError(Code.FailedPrecondition, `node ${req.nodeId} is not registered: register before reporting chunks`);
      const toCheck: string[] = [];
      for (const id of req.chunkIds) {
        if (deletions.isDeleted(id)) deletions.deleteOn(req.nodeId, id);
        else toCheck.push(id);
      }
      // A batch holds up to 10,000 ids: one batched lookup (a query, or a few etcd transactions), not one per id.
      const referenced = await store.referencedChunks(toCheck);
      const unknownChunkIds = toCheck.filter((id) => !referenced.has(id));
      await healing.reported(req.nodeId, req.reportId, req.chunkIds, req.last, unknownChunkIds);
      return { unknownChunkIds };
    },

    async listNodes() {
      return { nodes: membership.nodes().map(nodeInfo), membershipVersion: BigInt(membership.version) };
    },

    async clusterStatus() {
      const counts = membership.counts();
      const nodes = membership.nodes();
      const { files, chunks } = await fileCounts();
      const health = healing.counts();
      return {
        nodesHealthy: counts.healthy,
        nodesSuspect: counts.suspect,
        nodesDead: counts.dead,
        nodesDraining: counts.draining,
        nodesDrained: counts.drained,
        underReplicatedChunks: BigInt(health.underReplicated),
        oneCopyChunks: BigInt(health.oneCopy),
        missingChunks: BigInt(health.missing),
        corruptChunks: BigInt(health.corrupt),
        queuedCopies: BigInt(health.queued),
        copiesInFlight: BigInt(health.inFlight),
        uncheckedChunks: BigInt(health.unchecked),
        viewComplete: healing.viewComplete(),
        capacityBytes: BigInt(nodes.reduce((a, n) => a + (n.state === 'dead' ? 0 : n.capacityBytes), 0)),
        usedBytes: BigInt(nodes.reduce((a, n) => a + (n.state === 'dead' ? 0 : n.usedBytes), 0)),
        files: BigInt(files),
        chunks: BigInt(chunks),
      };
    },

    async drainNode(req) {
      await healing.drain(req.nodeId);
      return { node: nodeInfo(membership.node(req.nodeId)!) };
    },

    async undrainNode(req) {
      await healing.undrain(req.nodeId);
      return { node: nodeInfo(membership.node(req.nodeId)!) };
    },
  };
}

function statsOf(s: NodeStatsMessage | undefined): NodeStats {
  if (!s) throw new DfsError(Code.InvalidArgument, 'stats missing: send capacity, used and free bytes');
  return {
    capacityBytes: Number(s.capacityBytes),
    usedBytes: Number(s.usedBytes),
    freeBytes: Number(s.freeBytes),
    chunkCount: Number(s.chunkCount),
    activeTransfers: s.activeTransfers,
  };
}

export function nodeInfo(n: NodeRecord): NodeInfo {
  return create(NodeInfoSchema, {
    nodeId: n.nodeId,
    address: n.address,
    zone: n.zone,
    state: STATE[n.state],
    capacityBytes: BigInt(n.capacityBytes),
    usedBytes: BigInt(n.usedBytes),
    freeBytes: BigInt(n.freeBytes),
    chunkCount: BigInt(n.chunkCount),
    lastHeartbeat: timestampFromMs(n.lastHeartbeat.getTime()),
    registeredAt: timestampFromMs(n.registeredAt.getTime()),
    version: BigInt(n.version),
    activeTransfers: n.activeTransfers,
  });
}
