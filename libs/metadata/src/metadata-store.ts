// The coordinator's metadata behind one interface. Three implementations
// (memory, embedded, etcd) pass the same contract suite (metadata-contract.ts).
// Paths given to a store are already validated and normalized by the caller
// (absolute, no trailing slash except "/", no "." or ".." components).

/** One chunk of a committed file. */
export interface ChunkRef {
  chunkId: string;
  /** Position in the file, from 0. */
  index: number;
  size: number;
  /** Chunk checksum (see proto/dfs/v1/common.proto). */
  sha256: Uint8Array;
  /** Node ids that acknowledged the chunk durable at commit. */
  replicas: string[];
}

/** A committed file (one version of a path). */
export interface FileRecord {
  path: string;
  /** Unique per version: an overwrite makes a new fileId. */
  fileId: string;
  size: number;
  /** SHA-256 of the file's bytes. */
  sha256: Uint8Array;
  chunkSize: number;
  replication: number;
  chunkCount: number;
  createdAt: Date;
}

export type ListEntry = { kind: 'file'; file: FileRecord } | { kind: 'directory'; path: string };

export interface ListOptions {
  /** Every file below `dir` (no directory entries) instead of its direct children. */
  recursive?: boolean;
  /** 1 to 10,000; default 1,000. */
  limit?: number;
  /** Opaque, from the previous page's nextCursor. */
  cursor?: string;
}

export interface ListPage {
  /**
   * In UTF-8 byte order of their keys, a directory's key being its path plus
   * "/" (the order of one range scan: `/a/b-1` comes before directory `/a/b`).
   * `/a` never lists `/ab/x`. Each directory appears once, across pages too.
   */
  entries: ListEntry[];
  /** Absent on the last page. */
  nextCursor?: string;
}

/** A chunk placed for an upload (not yet committed). */
export interface Placement {
  index: number;
  chunkId: string;
  /** Target node ids, primary first. */
  nodeIds: string[];
}

export interface UploadRecord {
  uploadId: string;
  path: string;
  /** Absent for uploads of unknown size. */
  size?: number;
  chunkSize: number;
  replication: number;
  overwrite: boolean;
  createdAt: Date;
  /** Moved forward by every placement (CreateUpload, AllocateChunks); once passed, the expiry sweep may abort the upload. */
  expiresAt: Date;
  /** Current placement of each index placed so far. */
  placements: Placement[];
  /** Chunk ids placed before and replaced (a failed write): collected with the upload. */
  abandonedChunkIds: string[];
}

export interface CommitInput {
  uploadId: string;
  path: string;
  size: number;
  sha256: Uint8Array;
  chunkSize: number;
  replication: number;
  overwrite: boolean;
  /** In index order, 0..n-1. May be huge (200,000+): implementations must not need it in one transaction. */
  chunks: ChunkRef[];
}

export interface CommitResult {
  file: FileRecord;
  /** The version this commit replaced (its chunks are now queued for GC). */
  replaced?: FileRecord;
  /** True when this upload id had been committed before: the same file is returned, nothing changed. */
  alreadyCommitted: boolean;
}

export type NodeState = 'healthy' | 'suspect' | 'dead' | 'draining' | 'drained';

export interface NodeRecord {
  nodeId: string;
  address: string;
  zone: string;
  state: NodeState;
  capacityBytes: number;
  usedBytes: number;
  freeBytes: number;
  chunkCount: number;
  activeTransfers: number;
  registeredAt: Date;
  lastHeartbeat: Date;
  /**
   * The operator's decision, kept apart from `state` (liveness): a draining
   * node that dies and registers again is draining again, also after a
   * coordinator restart. Absent when there is none.
   */
  adminState?: 'draining' | 'drained';
  /** Membership version at which this record last changed (assigned by the store on putNode). */
  version: number;
}

/**
 * Work for the garbage collector. Entries name what to collect without
 * listing every chunk inline, so deleting a tree or a 200,000-chunk file is
 * one small write: the collector expands a `file` entry with readChunks()
 * and calls purgeFile() when every chunk is gone.
 */
export type GcEntry =
  | { gcId: string; kind: 'file'; fileId: string; reason: 'deleted' | 'overwritten'; enqueuedAt: Date }
  | { gcId: string; kind: 'chunks'; chunkIds: string[]; reason: 'aborted' | 'expired' | 'replaced-placement'; enqueuedAt: Date };

export interface MetadataStore {
  readonly backend: 'memory' | 'embedded' | 'etcd';

  // ---- namespace ----
  getFile(path: string): Promise<FileRecord | undefined>;
  /** A file's chunks in index order, streamed in pages (works for files pending GC too, until purgeFile). */
  readChunks(fileId: string, options?: { fromIndex?: number }): AsyncIterable<ChunkRef>;
  /**
   * Makes an upload's file visible atomically at its path, removes the upload,
   * and queues the replaced version (if any) for GC. Without `overwrite`, an
   * existing file is AlreadyExists (DfsError). Two concurrent commits to one
   * path: exactly one wins; the other gets AlreadyExists (no overwrite) or
   * replaces it cleanly (overwrite) — never a mix. Idempotent on uploadId.
   * A path that is a directory (has files below it), or lies below a file,
   * is FailedPrecondition. Indexes not 0..n-1 in order are InvalidArgument.
   * The upload must still be open: once it was aborted or expired (its
   * chunks queued for deletion) the commit is NotFound, checked atomically
   * with the commit itself. Its placed or abandoned chunks that the file does
   * not use go to the GC queue. A failed commit changes nothing (the upload
   * stays open).
   */
  commitFile(input: CommitInput): Promise<CommitResult>;
  /**
   * The file an upload id was committed as (remembered about 24 h), so a
   * commit retried after its response was lost gets the same answer; the
   * record as committed (its path may have changed since). Undefined when the
   * id is unknown, forgotten, or its file has been purged.
   */
  getCommittedUpload(uploadId: string): Promise<FileRecord | undefined>;
  /** Hides a file, or with `recursive` a whole tree, at once; the files go to the GC queue. NotFound when nothing is there. */
  deletePath(path: string, options?: { recursive?: boolean }): Promise<{ filesDeleted: number }>;
  /**
   * Moves a file or a tree; a file keeps its fileId. NotFound, AlreadyExists
   * (target taken; `overwrite` only lets a file replace a file, which goes to
   * GC), InvalidArgument (into itself, or the root), FailedPrecondition (a
   * file onto a directory, or anything below a file).
   */
  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<{ filesRenamed: number }>;
  /**
   * Direct children of `dir` (files and implied directories) or, recursive, all
   * files below it; paginated. Empty (not NotFound) when nothing is below `dir`:
   * the caller decides what a missing directory means. A bad limit or a foreign
   * cursor is InvalidArgument.
   */
  list(dir: string, options?: ListOptions): Promise<ListPage>;
  /** Counts for status pages: visible files, their chunks, open uploads. */
  counts(): Promise<{ files: number; chunks: number; uploads: number }>;

  // ---- upload sessions ----
  /** AlreadyExists when the upload id is taken. */
  createUpload(upload: UploadRecord): Promise<void>;
  getUpload(uploadId: string): Promise<UploadRecord | undefined>;
  /**
   * Sets placements for the given indexes (a re-placed index moves its old chunk
   * id to abandonedChunkIds) and moves expiresAt. NotFound if gone. The returned
   * record lists placements by index.
   */
  placeChunks(uploadId: string, placements: Placement[], expiresAt: Date): Promise<UploadRecord>;
  /**
   * Removes the upload; its chunks (placed and abandoned) go to the GC queue.
   * Returns undefined if it was not there, or, with reason 'expired', if its
   * expiresAt has not passed (it was extended after it was listed as expired).
   */
  abortUpload(uploadId: string, reason: 'aborted' | 'expired'): Promise<UploadRecord | undefined>;
  /** Uploads whose expiresAt is before `now`, oldest first. */
  expiredUploads(now: Date, limit: number): Promise<UploadRecord[]>;
  /**
   * The ids among these that belong to any open upload (placed or abandoned)
   * or committed (or GC-pending, not yet purged) file: the GC's safety check.
   * A datanode reports up to 10,000 chunk ids per call and the coordinator
   * checks them all: one query (embedded) or a few batched transactions
   * (etcd) instead of a round trip per id. Any number of ids; duplicates are fine.
   */
  referencedChunks(chunkIds: readonly string[]): Promise<Set<string>>;
  /**
   * Each id whose chunk is in a visible file's chunk list, mapped to that file
   * (chunks of deleted or replaced files, of open uploads, and unknown ids are
   * absent): how the healer learns, for a whole report at once, each chunk's
   * replication and that it is still wanted. Any number of ids.
   */
  liveFilesOfChunks(chunkIds: readonly string[]): Promise<Map<string, FileRecord>>;

  // ---- membership ----
  /** Inserts or replaces a node record; assigns and returns its new version (monotonic across all nodes). */
  putNode(node: Omit<NodeRecord, 'version'>): Promise<NodeRecord>;
  getNode(nodeId: string): Promise<NodeRecord | undefined>;
  listNodes(): Promise<NodeRecord[]>;
  /**
   * Records with version > sinceVersion; `full` (with every record) when history
   * that old is gone or sinceVersion is ahead of the store (it was reset): the
   * caller resyncs. `version` is the latest version assigned (0 when none).
   */
  nodesChangedSince(sinceVersion: number): Promise<{ nodes: NodeRecord[]; version: number; full: boolean }>;

  // ---- garbage collection queue ----
  /**
   * Oldest entries first. With `after` (a gcId from an earlier call), only
   * entries queued after that one, so a caller can page past entries it is
   * still working on. At least once: if `after` was acknowledged meanwhile,
   * entries queued together with it may be returned again.
   */
  peekGc(limit: number, after?: string): Promise<GcEntry[]>;
  /** Removes entries once done. */
  ackGc(gcIds: string[]): Promise<void>;
  /** Drops a collected file's chunk list for good. FailedPrecondition while the file is still visible at a path. */
  purgeFile(fileId: string): Promise<void>;

  close(): Promise<void>;
}
