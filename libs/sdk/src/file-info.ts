import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { NodeState, toHex, type ClusterStatusResponse, type FileInfo as WireFileInfo, type NodeInfo as WireNodeInfo } from '@dfs/proto';

/** A file or directory in DFS. Directories have `isDirectory` true and zeros elsewhere. */
export interface FileInfo {
  /** Absolute path, e.g. `/logs/2024/app.log`. */
  path: string;
  isDirectory: boolean;
  /** Bytes. */
  size: number;
  /** SHA-256 of the whole file, lowercase hex; `''` for directories. */
  sha256: string;
  /** Bytes per chunk (the last chunk may be shorter). */
  chunkSize: number;
  /** Copies kept of each chunk. */
  replication: number;
  chunkCount: number;
  /** When this version was committed. */
  createdAt?: Date;
  /** Id of this version of the file; changes when it is overwritten. `''` for directories. */
  fileId: string;
}

/** The state of a datanode as the coordinator sees it. */
export type NodeStateName = 'healthy' | 'suspect' | 'dead' | 'draining' | 'drained';

/** A datanode. */
export interface NodeInfo {
  nodeId: string;
  /** host:port clients and peers dial. */
  address: string;
  /** Failure domain; `''` when not set. */
  zone: string;
  state: NodeStateName;
  capacityBytes: number;
  usedBytes: number;
  chunkCount: number;
  lastHeartbeat?: Date;
}

/** The cluster in numbers. */
export interface ClusterStatus {
  nodesHealthy: number;
  nodesSuspect: number;
  nodesDead: number;
  capacityBytes: number;
  usedBytes: number;
  files: number;
  chunks: number;
  /** Chunks with fewer live copies than their file's replication. */
  underReplicatedChunks: number;
}

const STATES: Record<NodeState, NodeStateName> = {
  [NodeState.UNSPECIFIED]: 'dead',
  [NodeState.HEALTHY]: 'healthy',
  [NodeState.SUSPECT]: 'suspect',
  [NodeState.DEAD]: 'dead',
  [NodeState.DRAINING]: 'draining',
  [NodeState.DRAINED]: 'drained',
};

export function toFileInfo(f: WireFileInfo): FileInfo {
  return {
    path: f.path,
    isDirectory: f.isDirectory,
    size: Number(f.size),
    sha256: f.isDirectory ? '' : toHex(f.sha256),
    chunkSize: Number(f.chunkSize),
    replication: f.replication,
    chunkCount: f.chunkCount,
    createdAt: toDate(f.createdAt),
    fileId: f.fileId,
  };
}

export function toNodeInfo(n: WireNodeInfo): NodeInfo {
  return {
    nodeId: n.nodeId,
    address: n.address,
    zone: n.zone,
    state: STATES[n.state] ?? 'dead',
    capacityBytes: Number(n.capacityBytes),
    usedBytes: Number(n.usedBytes),
    chunkCount: Number(n.chunkCount),
    lastHeartbeat: toDate(n.lastHeartbeat),
  };
}

export function toClusterStatus(s: ClusterStatusResponse): ClusterStatus {
  return {
    nodesHealthy: s.nodesHealthy,
    nodesSuspect: s.nodesSuspect,
    nodesDead: s.nodesDead,
    capacityBytes: Number(s.capacityBytes),
    usedBytes: Number(s.usedBytes),
    files: Number(s.files),
    chunks: Number(s.chunks),
    underReplicatedChunks: Number(s.underReplicatedChunks),
  };
}

function toDate(t: Timestamp | undefined): Date | undefined {
  return t ? timestampDate(t) : undefined;
}
