import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  ChunkHealth,
  NodeState,
  toHex,
  type ClusterStatusResponse,
  type FsckResponse,
  type FileInfo as WireFileInfo,
  type NodeInfo as WireNodeInfo,
} from '@dfs/proto';

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

/**
 * The cluster in numbers: nodes by state, space, files and chunks, and how
 * self-healing is doing. The chunk health counts come from the copies the
 * datanodes reported; see `viewComplete`.
 */
export interface ClusterStatus {
  /** Datanodes heartbeating on time (they take new chunks). */
  nodesHealthy: number;
  /** Datanodes whose heartbeats are late; their copies still count. */
  nodesSuspect: number;
  /** Datanodes silent for too long; their chunks are copied elsewhere. */
  nodesDead: number;
  /** Datanodes being drained ({@link DfsClient.drainNode}): still serving reads while their chunks are copied elsewhere. */
  nodesDraining: number;
  /** Datanodes whose every chunk has its copies elsewhere: they can be removed. */
  nodesDrained: number;
  /** Bytes of disk on the datanodes that are not dead. */
  capacityBytes: number;
  /** Bytes used on the datanodes that are not dead. */
  usedBytes: number;
  /** Files committed. */
  files: number;
  /** Chunks of committed files. */
  chunks: number;
  /**
   * Chunks with fewer live copies than their file's replication that can
   * still be copied (a copy on a draining node is readable but does not
   * count); each is queued or being copied.
   */
  underReplicatedChunks: number;
  /** Of `underReplicatedChunks`, those down to one live copy (or none, only a draining node's): copied first. */
  oneCopyChunks: number;
  /** Chunks with no readable copy left on any node: their files cannot be read until a node holding one returns. */
  missingChunks: number;
  /** Chunks with a copy found corrupt (and quarantined) that are not whole again yet; also counted as under-replicated or missing. */
  corruptChunks: number;
  /** Copies waiting for a source and a target within the per-node limits. */
  queuedCopies: number;
  /** Copies being made now. */
  copiesInFlight: number;
  /**
   * Chunks whose files the coordinator could not look up (its metadata store
   * failed): their health is unknown until a lookup succeeds, which it
   * retries. Above 0 for long, look at the metadata store.
   */
  uncheckedChunks: number;
  /**
   * True once every datanode that may hold chunks has reported them since
   * the coordinator started. Until then the chunk health counts may be too
   * low, nothing is re-replicated and `fsck` answers Unavailable.
   */
  viewComplete: boolean;
}

/** How a file that is not healthy is damaged, worst of its chunks. */
export type FileHealth = 'under-replicated' | 'missing' | 'corrupt';

/** A file {@link DfsClient.fsck} found not healthy. */
export interface FsckProblem {
  /** Absolute path of the file. */
  path: string;
  /**
   * `under-replicated`: fewer live copies than its replication, but every
   * chunk readable (self-healing copies it); `missing`: a chunk has no
   * readable copy; `corrupt`: a chunk's only copies were found corrupt.
   */
  health: FileHealth;
  /** The chunks that are not healthy, in file order. */
  unhealthyChunkIds: string[];
}

/** What {@link DfsClient.fsck} found. Every file is counted once, by its worst chunk. */
export interface FsckReport {
  /** Files with every chunk at its replication. */
  filesHealthy: number;
  /** Files with a chunk below its replication, none lost. */
  filesUnderReplicated: number;
  /** Files with a chunk that has no readable copy. */
  filesMissing: number;
  /** Files with a chunk whose only copies were corrupt. */
  filesCorrupt: number;
  /**
   * Every file that is not healthy, in path order. The coordinator lists
   * 10 000 at most; the counts above cover every file.
   */
  problems: FsckProblem[];
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
    nodesDraining: s.nodesDraining,
    nodesDrained: s.nodesDrained,
    oneCopyChunks: Number(s.oneCopyChunks),
    missingChunks: Number(s.missingChunks),
    corruptChunks: Number(s.corruptChunks),
    queuedCopies: Number(s.queuedCopies),
    copiesInFlight: Number(s.copiesInFlight),
    uncheckedChunks: Number(s.uncheckedChunks),
    viewComplete: s.viewComplete,
  };
}

const HEALTHS: Partial<Record<ChunkHealth, FileHealth>> = {
  [ChunkHealth.UNDER_REPLICATED]: 'under-replicated',
  [ChunkHealth.MISSING]: 'missing',
  [ChunkHealth.CORRUPT]: 'corrupt',
};

export function toFsckReport(r: FsckResponse): FsckReport {
  return {
    filesHealthy: Number(r.filesHealthy),
    filesUnderReplicated: Number(r.filesUnderReplicated),
    filesMissing: Number(r.filesMissing),
    filesCorrupt: Number(r.filesCorrupt),
    // Only unhealthy files are listed; a health this SDK does not know is taken as the worse case, missing.
    problems: r.problems.map((p) => ({ path: p.path, health: HEALTHS[p.health] ?? 'missing', unhealthyChunkIds: [...p.unhealthyChunkIds] })),
  };
}

function toDate(t: Timestamp | undefined): Date | undefined {
  return t ? timestampDate(t) : undefined;
}
