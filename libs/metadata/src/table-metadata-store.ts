// The namespace, upload and membership rules, written once over synchronous
// MetadataTables. Every write runs as one `write` operation (a transaction in
// SQLite, an uninterrupted synchronous step in memory), so checks and changes
// are atomic: all checks come first, and nothing is changed when one fails.
import { setImmediate } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { Code, DfsError, MAX_PATH_BYTES } from '@dfs/proto';
import { listPage } from './list-paging.js';
import {
  badChunkListError,
  belowFileError,
  committedThenPurgedError,
  fileExistsError,
  isDirectoryError,
  movedPathTooLongError,
  notFoundError,
  uploadNotFoundError,
} from './metadata-errors.js';
import type {
  ChunkRef,
  CommitInput,
  CommitResult,
  FileRecord,
  GcEntry,
  ListOptions,
  ListPage,
  MetadataStore,
  NodeRecord,
  Placement,
  UploadRecord,
} from './metadata-store.js';
import type { MetadataTables } from './metadata-tables.js';
import { ancestorsOf, isBelow, movedPath, subtreeEnd, subtreeStart } from './path-keys.js';

/** How long a committed upload id is remembered, so that a retried commit is recognized. */
export const COMMIT_MEMORY_MS = 24 * 60 * 60 * 1000;
/** Chunks per page when streaming a chunk list. */
const CHUNK_PAGE = 10_000;
/**
 * Ids per statement of a batched chunk lookup. Each statement runs
 * synchronously (SQLite), so a huge batch is split and other work (a
 * heartbeat) runs between the parts; a few thousand take milliseconds.
 */
const LOOKUP_SLICE = 2_500;

/**
 * Runs one write operation atomically and, for a durable store, durably
 * unless `durable` is false (default true). A non-durable write may be lost
 * by a power cut until a later durable write covers it; only upload-session
 * bookkeeping (createUpload, placeChunks) asks for that: losing it fails only
 * that uncommitted upload, never a visible file.
 */
export type WriteRunner = <T>(op: () => T, durable?: boolean) => Promise<T>;

export abstract class TableMetadataStore implements MetadataStore {
  abstract readonly backend: 'memory' | 'embedded';
  private closed = false;

  protected constructor(
    private readonly tables: MetadataTables,
    private readonly runWrite: WriteRunner,
  ) {}

  // ---- namespace ----

  async getFile(path: string): Promise<FileRecord | undefined> {
    return this.read(() => this.tables.getFile(path));
  }

  async *readChunks(fileId: string, options: { fromIndex?: number } = {}): AsyncIterable<ChunkRef> {
    let from = options.fromIndex ?? 0;
    for (;;) {
      const page = this.read(() => this.tables.readChunks(fileId, from, CHUNK_PAGE));
      yield* page;
      if (page.length < CHUNK_PAGE) return;
      from = page[page.length - 1]!.index + 1;
    }
  }

  async getCommittedUpload(uploadId: string): Promise<FileRecord | undefined> {
    return this.read(() => {
      const done = this.tables.getCommitted(uploadId);
      return done && !this.purged(done) ? done : undefined;
    });
  }

  async commitFile(input: CommitInput): Promise<CommitResult> {
    checkChunkList(input.chunks);
    return this.write((t) => {
      const done = t.getCommitted(input.uploadId);
      if (done && this.purged(done)) throw committedThenPurgedError(input.uploadId, done.fileId);
      if (done) return { file: done, alreadyCommitted: true };
      // Checked here, in the commit's own transaction: an abort or expiry that
      // won the race has queued the upload's chunks for deletion.
      const upload = t.getUpload(input.uploadId);
      if (!upload) throw uploadNotFoundError(input.uploadId);
      this.checkFileTarget(input.path);
      const existing = t.getFile(input.path);
      if (existing && !input.overwrite) throw fileExistsError(input.path);

      const now = Date.now();
      const file: FileRecord = {
        path: input.path,
        fileId: newFileId(now),
        size: input.size,
        sha256: new Uint8Array(input.sha256),
        chunkSize: input.chunkSize,
        replication: input.replication,
        chunkCount: input.chunks.length,
        createdAt: new Date(now),
      };
      t.putChunks(file.fileId, input.chunks);
      t.putFile(file);
      if (existing) t.enqueueGc({ kind: 'file', fileId: existing.fileId, reason: 'overwritten', enqueuedAt: new Date(now) });
      // Placements the file does not use (re-placed or never written) would otherwise leak.
      const used = new Set(input.chunks.map((c) => c.chunkId));
      const unused = [...upload.placements.map((p) => p.chunkId), ...upload.abandonedChunkIds].filter((id) => !used.has(id));
      if (unused.length > 0) t.enqueueGc({ kind: 'chunks', chunkIds: unused, reason: 'replaced-placement', enqueuedAt: new Date(now) });
      t.deleteUpload(input.uploadId);
      t.putCommitted(input.uploadId, file, now);
      t.pruneCommitted(now - COMMIT_MEMORY_MS);
      return existing ? { file, replaced: existing, alreadyCommitted: false } : { file, alreadyCommitted: false };
    });
  }

  async deletePath(path: string, options: { recursive?: boolean } = {}): Promise<{ filesDeleted: number }> {
    return this.write((t) => {
      const file = t.getFile(path);
      const files = file ? [file] : this.filesBelow(path);
      if (files.length === 0) throw notFoundError(path);
      if (!file && !options.recursive) {
        throw new DfsError(Code.FailedPrecondition, `${path} is a directory with ${files.length} file(s) below it: delete it with recursive to remove the tree`);
      }
      const enqueuedAt = new Date();
      for (const f of files) {
        t.deleteFile(f.path);
        t.enqueueGc({ kind: 'file', fileId: f.fileId, reason: 'deleted', enqueuedAt });
      }
      return { filesDeleted: files.length };
    });
  }

  async rename(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<{ filesRenamed: number }> {
    if (from === '/' || to === '/') throw new DfsError(Code.InvalidArgument, 'the root directory cannot be renamed or replaced');
    if (from === to) throw new DfsError(Code.InvalidArgument, `cannot rename ${from} to itself: give a different target path`);
    if (isBelow(to, from)) throw new DfsError(Code.InvalidArgument, `cannot move ${from} into itself (${to}): pick a target outside it`);
    return this.write((t) => {
      const file = t.getFile(from);
      const files = file ? [file] : this.filesBelow(from);
      if (files.length === 0) throw notFoundError(from);
      const target = t.getFile(to);
      if (file) {
        this.checkFileTarget(to);
        if (target && !options.overwrite) throw fileExistsError(to);
        if (target) t.enqueueGc({ kind: 'file', fileId: target.fileId, reason: 'overwritten', enqueuedAt: new Date() });
      } else {
        if (target || this.hasFilesBelow(to)) throw new DfsError(Code.AlreadyExists, `${to} already exists: move the tree ${from} to a free path`);
        this.checkAncestors(to);
      }
      checkMovedPaths(files, from, to);
      // Remove every old path before adding new ones: the target range is known to be free.
      for (const f of files) t.deleteFile(f.path);
      for (const f of files) t.putFile({ ...f, path: movedPath(f.path, from, to) });
      return { filesRenamed: files.length };
    });
  }

  async list(dir: string, options: ListOptions = {}): Promise<ListPage> {
    return this.read(() => listPage(dir, options, (pos) => this.tables.seekFile(pos)));
  }

  async counts(): Promise<{ files: number; chunks: number; uploads: number }> {
    return this.read(() => ({ ...this.tables.fileCounts(), uploads: this.tables.uploadCount() }));
  }

  // ---- upload sessions ----

  // Upload-session bookkeeping (createUpload, placeChunks) is written non-durably: a power cut loses
  // only an uncommitted upload (its commit is then refused and its chunks collected), and the next
  // durable commit makes it durable too, so a commit is never on the disk without its session.
  async createUpload(upload: UploadRecord): Promise<void> {
    return this.write((t) => {
      if (t.getUpload(upload.uploadId)) {
        throw new DfsError(Code.AlreadyExists, `upload ${upload.uploadId} already exists: upload ids must be unique, generate a new one`);
      }
      t.putUpload(upload);
    }, false);
  }

  async getUpload(uploadId: string): Promise<UploadRecord | undefined> {
    return this.read(() => this.tables.getUpload(uploadId));
  }

  async placeChunks(uploadId: string, placements: Placement[], expiresAt: Date): Promise<UploadRecord> {
    return this.write((t) => {
      const upload = t.getUpload(uploadId);
      if (!upload) throw uploadNotFoundError(uploadId);
      const byIndex = new Map(upload.placements.map((p) => [p.index, p]));
      const abandoned = [...upload.abandonedChunkIds];
      for (const p of placements) {
        const old = byIndex.get(p.index);
        if (old && old.chunkId !== p.chunkId) abandoned.push(old.chunkId);
        byIndex.set(p.index, { index: p.index, chunkId: p.chunkId, nodeIds: [...p.nodeIds] });
      }
      const next: UploadRecord = {
        ...upload,
        placements: [...byIndex.values()].sort((a, b) => a.index - b.index),
        abandonedChunkIds: abandoned,
        expiresAt: new Date(expiresAt),
      };
      t.putUpload(next);
      return next;
    }, false);
  }

  async abortUpload(uploadId: string, reason: 'aborted' | 'expired'): Promise<UploadRecord | undefined> {
    return this.write((t) => {
      const upload = t.getUpload(uploadId);
      if (!upload) return undefined;
      if (reason === 'expired' && upload.expiresAt.getTime() >= Date.now()) return undefined;
      t.deleteUpload(uploadId);
      const chunkIds = [...upload.placements.map((p) => p.chunkId), ...upload.abandonedChunkIds];
      if (chunkIds.length > 0) t.enqueueGc({ kind: 'chunks', chunkIds, reason, enqueuedAt: new Date() });
      return upload;
    });
  }

  async expiredUploads(now: Date, limit: number): Promise<UploadRecord[]> {
    return this.read(() => this.tables.expiredUploads(now.getTime(), limit));
  }

  async referencedChunks(chunkIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    await this.inSlices(chunkIds, (slice) => this.tables.referencedChunks(slice).forEach((id) => found.add(id)));
    return found;
  }

  async liveFilesOfChunks(chunkIds: readonly string[]): Promise<Map<string, FileRecord>> {
    const found = new Map<string, FileRecord>();
    await this.inSlices(chunkIds, (slice) => this.tables.liveFilesOfChunks(slice).forEach((file, id) => found.set(id, file)));
    return found;
  }

  /**
   * Reads `ids` a slice at a time, letting I/O in between: an await of a
   * synchronous answer alone only queues a microtask, and those all run
   * before any I/O (heartbeats would wait for the whole lookup).
   */
  private async inSlices(ids: readonly string[], read: (slice: readonly string[]) => void): Promise<void> {
    for (let i = 0; i < ids.length; i += LOOKUP_SLICE) {
      if (i > 0) await setImmediate();
      this.read(() => read(ids.slice(i, i + LOOKUP_SLICE)));
    }
  }

  // ---- membership ----

  async putNode(node: Omit<NodeRecord, 'version'>): Promise<NodeRecord> {
    return this.write((t) => {
      const version = t.nodeVersion() + 1;
      const record: NodeRecord = { ...node, version };
      t.setNodeVersion(version);
      t.putNode(record);
      return record;
    });
  }

  async getNode(nodeId: string): Promise<NodeRecord | undefined> {
    return this.read(() => this.tables.getNode(nodeId));
  }

  async listNodes(): Promise<NodeRecord[]> {
    return this.read(() => this.tables.listNodes());
  }

  async nodesChangedSince(sinceVersion: number): Promise<{ nodes: NodeRecord[]; version: number; full: boolean }> {
    return this.read(() => {
      const version = this.tables.nodeVersion();
      // A caller ahead of the store saw another store's history (this one was reset): it must resync.
      if (sinceVersion > version) return { nodes: this.tables.listNodes(), version, full: true };
      return { nodes: this.tables.nodesSince(sinceVersion), version, full: false };
    });
  }

  // ---- garbage collection queue ----

  async peekGc(limit: number, after?: string): Promise<GcEntry[]> {
    return this.read(() => this.tables.peekGc(limit, after));
  }

  async ackGc(gcIds: string[]): Promise<void> {
    if (gcIds.length > 0) await this.write((t) => t.ackGc(gcIds));
  }

  async purgeFile(fileId: string): Promise<void> {
    return this.write((t) => {
      if (t.isLiveFile(fileId)) {
        throw new DfsError(Code.FailedPrecondition, `file ${fileId} is still visible at its path: delete it before purging its chunk list`);
      }
      t.deleteChunks(fileId);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ---- helpers ----

  /** Deleted and its chunk list purged by GC (what etcd sees as its file record gone). */
  private purged(file: FileRecord): boolean {
    return !this.tables.isLiveFile(file.fileId) && this.tables.readChunks(file.fileId, 0, 1).length === 0;
  }

  protected read<T>(op: () => T): T {
    this.checkOpen();
    return op();
  }

  private write<T>(op: (tables: MetadataTables) => T, durable = true): Promise<T> {
    this.checkOpen();
    return this.runWrite(() => op(this.tables), durable);
  }

  private checkOpen(): void {
    if (this.closed) throw new DfsError(Code.Unavailable, `the ${this.backend} metadata store is closed (shutting down): retry on a running coordinator`);
  }

  /** A file may take `path` only if no file lies below it and none of its ancestors is a file. */
  private checkFileTarget(path: string): void {
    if (this.hasFilesBelow(path)) throw isDirectoryError(path);
    this.checkAncestors(path);
  }

  private checkAncestors(path: string): void {
    for (const dir of ancestorsOf(path)) if (this.tables.getFile(dir)) throw belowFileError(path, dir);
  }

  private hasFilesBelow(dir: string): boolean {
    const first = this.tables.seekFile({ key: subtreeStart(dir), inclusive: true });
    return first !== undefined && isBelow(first.path, dir);
  }

  private filesBelow(dir: string): FileRecord[] {
    return this.tables.scanFiles(subtreeStart(dir), subtreeEnd(dir));
  }
}


/**
 * 32 hex characters, time-ordered (milliseconds first): new ids append to the
 * end of a fileId index instead of dirtying random pages of it.
 */
function newFileId(now: number): string {
  return now.toString(16).padStart(12, '0') + randomBytes(10).toString('hex');
}

/** Every moved path stays within the path limit (each grows by the same number of bytes, so the longest decides). */
function checkMovedPaths(files: FileRecord[], from: string, to: string): void {
  let longest = '';
  let most = -1;
  for (const f of files) {
    const bytes = Buffer.byteLength(f.path, 'utf8');
    if (bytes > most) [longest, most] = [f.path, bytes];
  }
  const moved = movedPath(longest, from, to);
  if (Buffer.byteLength(moved, 'utf8') > MAX_PATH_BYTES) throw movedPathTooLongError(from, to, longest, moved);
}

/** Indexes must be 0..n-1 in order: a gap or a swap would corrupt every read of the file. */
function checkChunkList(chunks: ChunkRef[]): void {
  for (let i = 0; i < chunks.length; i++) {
    if (chunks[i]!.index !== i) throw badChunkListError(`chunk ${i} of ${chunks.length} has index ${chunks[i]!.index}`);
  }
}
