import type { ClusterStatus, FileInfo, FsckProblem, FsckReport, NodeInfo } from '@dfs/sdk';

/**
 * The --json shape of a file or directory: always these keys, so `jq` filters
 * do not depend on what the SDK adds later. Dates are ISO-8601 strings;
 * a directory has only path and isDirectory.
 */
export function fileInfoJson(f: FileInfo): Record<string, unknown> {
  if (f.isDirectory) return { path: f.path, isDirectory: true };
  return {
    path: f.path,
    isDirectory: false,
    size: f.size,
    chunkSize: f.chunkSize,
    chunkCount: f.chunkCount,
    replication: f.replication,
    sha256: f.sha256,
    createdAt: f.createdAt?.toISOString(),
    fileId: f.fileId,
  };
}

/** The --json shape of a datanode (`dfs nodes`). */
export function nodeInfoJson(n: NodeInfo): Record<string, unknown> {
  return {
    nodeId: n.nodeId,
    state: n.state,
    address: n.address,
    zone: n.zone,
    usedBytes: n.usedBytes,
    capacityBytes: n.capacityBytes,
    chunkCount: n.chunkCount,
    lastHeartbeat: n.lastHeartbeat?.toISOString(),
  };
}

/** The --json shape of `dfs status`. */
export function clusterStatusJson(s: ClusterStatus): Record<string, unknown> {
  return {
    nodesHealthy: s.nodesHealthy,
    nodesSuspect: s.nodesSuspect,
    nodesDead: s.nodesDead,
    capacityBytes: s.capacityBytes,
    usedBytes: s.usedBytes,
    files: s.files,
    chunks: s.chunks,
    underReplicatedChunks: s.underReplicatedChunks,
    oneCopyChunks: s.oneCopyChunks,
    missingChunks: s.missingChunks,
    corruptChunks: s.corruptChunks,
    queuedCopies: s.queuedCopies,
    copiesInFlight: s.copiesInFlight,
    uncheckedChunks: s.uncheckedChunks,
    viewComplete: s.viewComplete,
    nodesDraining: s.nodesDraining,
    nodesDrained: s.nodesDrained,
  };
}

/** The --json shape of a file `dfs fsck` found not healthy (one line each, before the summary). */
export function fsckProblemJson(p: FsckProblem): Record<string, unknown> {
  return { path: p.path, health: p.health, unhealthyChunkIds: p.unhealthyChunkIds };
}

/** The --json shape of the last line of `dfs fsck`: files by health. */
export function fsckSummaryJson(r: FsckReport): Record<string, unknown> {
  return { filesHealthy: r.filesHealthy, filesUnderReplicated: r.filesUnderReplicated, filesMissing: r.filesMissing, filesCorrupt: r.filesCorrupt };
}
