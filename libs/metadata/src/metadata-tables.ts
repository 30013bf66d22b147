// The storage primitives under TableMetadataStore: synchronous, so that one
// store operation (a commit, a tree rename) runs as one transaction. The
// memory store keeps them in Maps; the embedded store in SQLite tables.
import type { ScanPosition } from './list-paging.js';
import type { ChunkRef, FileRecord, GcEntry, NodeRecord, UploadRecord } from './metadata-store.js';

/** A GC entry before the tables assign its id. */
export type NewGcEntry = WithoutGcId<GcEntry>;
type WithoutGcId<E> = E extends GcEntry ? Omit<E, 'gcId'> : never;

export interface MetadataTables {
  // ---- files: visible versions by path; chunk lists by fileId (kept after delete until purged) ----
  getFile(path: string): FileRecord | undefined;
  /** The file with the first path at or after the position (UTF-8 byte order). */
  seekFile(from: ScanPosition): FileRecord | undefined;
  /** Every file with a path in [start, end) (no end when undefined), in order. */
  scanFiles(start: string, end: string | undefined): FileRecord[];
  /** Inserts or replaces the visible version at `file.path`. */
  putFile(file: FileRecord): void;
  deleteFile(path: string): void;
  /** Whether a visible file has this id. */
  isLiveFile(fileId: string): boolean;
  putChunks(fileId: string, chunks: ChunkRef[]): void;
  readChunks(fileId: string, fromIndex: number, limit: number): ChunkRef[];
  deleteChunks(fileId: string): void;
  /** The ids among these that a chunk list (visible or pending GC) or an open upload holds. */
  referencedChunks(chunkIds: readonly string[]): Set<string>;
  /** For each of these ids that a visible file's chunk list holds, that file. */
  liveFilesOfChunks(chunkIds: readonly string[]): Map<string, FileRecord>;
  fileCounts(): { files: number; chunks: number };

  // ---- upload sessions, and the ids of recent commits (for idempotency) ----
  getUpload(uploadId: string): UploadRecord | undefined;
  putUpload(upload: UploadRecord): void;
  deleteUpload(uploadId: string): void;
  expiredUploads(now: number, limit: number): UploadRecord[];
  uploadCount(): number;
  getCommitted(uploadId: string): FileRecord | undefined;
  putCommitted(uploadId: string, file: FileRecord, at: number): void;
  /** Forgets commits made before `before` (ms): retries come within minutes, not days. */
  pruneCommitted(before: number): void;

  // ---- membership ----
  getNode(nodeId: string): NodeRecord | undefined;
  putNode(node: NodeRecord): void;
  /** Sorted by node id. */
  listNodes(): NodeRecord[];
  /** Records with version > `since`, by version. */
  nodesSince(since: number): NodeRecord[];
  /** The last membership version assigned (0 before any). */
  nodeVersion(): number;
  setNodeVersion(version: number): void;

  // ---- GC queue, oldest first ----
  enqueueGc(entry: NewGcEntry): void;
  peekGc(limit: number, after?: string): GcEntry[];
  ackGc(gcIds: string[]): void;
}
