// MetadataTables in Maps, for unit tests and single-process experiments.
// Records are cloned in and out so callers can never change stored state.
import type { ScanPosition } from '../list-paging.js';
import type { ChunkRef, FileRecord, GcEntry, NodeRecord, UploadRecord } from '../metadata-store.js';
import type { MetadataTables, NewGcEntry } from '../metadata-tables.js';
import { compareUtf8 } from '../compare-utf8.js';
import { SortedKeys } from './sorted-keys.js';

export class MemoryTables implements MetadataTables {
  private readonly files = new Map<string, FileRecord>();
  private readonly paths = new SortedKeys();
  /** fileId → path, for the files that are visible. */
  private readonly live = new Map<string, string>();
  private readonly chunks = new Map<string, ChunkRef[]>();
  /** chunkId → fileId, for every chunk list not yet purged. */
  private readonly chunkOwners = new Map<string, string>();
  private chunkTotal = 0;
  private readonly uploads = new Map<string, UploadRecord>();
  /** chunkId → uploadId, for placed and abandoned chunks of open uploads. */
  private readonly uploadChunks = new Map<string, string>();
  /** In commit order (Map iteration order), so pruning takes from the front. */
  private readonly committed = new Map<string, { file: FileRecord; at: number }>();
  private readonly nodes = new Map<string, NodeRecord>();
  private version = 0;
  /** In enqueue order. */
  private readonly gc = new Map<string, GcEntry>();
  private gcSeq = 0;

  getFile(path: string): FileRecord | undefined {
    return cloneFile(this.files.get(path));
  }

  seekFile(from: ScanPosition): FileRecord | undefined {
    const path = this.paths.seek(from.key, from.inclusive);
    return path === undefined ? undefined : cloneFile(this.files.get(path));
  }

  scanFiles(start: string, end: string | undefined): FileRecord[] {
    return [...this.paths.range(start, end)].map((p) => cloneFile(this.files.get(p))!);
  }

  putFile(file: FileRecord): void {
    const old = this.files.get(file.path);
    if (old) {
      this.live.delete(old.fileId);
      this.chunkTotal -= old.chunkCount;
    }
    this.files.set(file.path, cloneFile(file)!);
    this.paths.insert(file.path);
    this.live.set(file.fileId, file.path);
    this.chunkTotal += file.chunkCount;
  }

  deleteFile(path: string): void {
    const old = this.files.get(path);
    if (!old) return;
    this.files.delete(path);
    this.paths.delete(path);
    this.live.delete(old.fileId);
    this.chunkTotal -= old.chunkCount;
  }

  isLiveFile(fileId: string): boolean {
    return this.live.has(fileId);
  }

  putChunks(fileId: string, chunks: ChunkRef[]): void {
    this.chunks.set(fileId, chunks.map(cloneChunk));
    for (const c of chunks) this.chunkOwners.set(c.chunkId, fileId);
  }

  readChunks(fileId: string, fromIndex: number, limit: number): ChunkRef[] {
    return (this.chunks.get(fileId) ?? []).slice(fromIndex, fromIndex + limit).map(cloneChunk);
  }

  deleteChunks(fileId: string): void {
    for (const c of this.chunks.get(fileId) ?? []) {
      if (this.chunkOwners.get(c.chunkId) === fileId) this.chunkOwners.delete(c.chunkId);
    }
    this.chunks.delete(fileId);
  }

  referencedChunks(chunkIds: readonly string[]): Set<string> {
    return new Set(chunkIds.filter((id) => this.chunkOwners.has(id) || this.uploadChunks.has(id)));
  }

  liveFilesOfChunks(chunkIds: readonly string[]): Map<string, FileRecord> {
    const found = new Map<string, FileRecord>();
    for (const id of chunkIds) {
      const fileId = this.chunkOwners.get(id);
      const path = fileId === undefined ? undefined : this.live.get(fileId);
      if (path !== undefined) found.set(id, cloneFile(this.files.get(path))!);
    }
    return found;
  }

  fileCounts(): { files: number; chunks: number } {
    return { files: this.files.size, chunks: this.chunkTotal };
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    return cloneUpload(this.uploads.get(uploadId));
  }

  putUpload(upload: UploadRecord): void {
    this.deleteUpload(upload.uploadId);
    this.uploads.set(upload.uploadId, cloneUpload(upload)!);
    for (const id of uploadChunkIds(upload)) this.uploadChunks.set(id, upload.uploadId);
  }

  deleteUpload(uploadId: string): void {
    const old = this.uploads.get(uploadId);
    if (!old) return;
    for (const id of uploadChunkIds(old)) if (this.uploadChunks.get(id) === uploadId) this.uploadChunks.delete(id);
    this.uploads.delete(uploadId);
  }

  expiredUploads(now: number, limit: number): UploadRecord[] {
    return [...this.uploads.values()]
      .filter((u) => u.expiresAt.getTime() < now)
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || compareUtf8(a.uploadId, b.uploadId))
      .slice(0, limit)
      .map((u) => cloneUpload(u)!);
  }

  uploadCount(): number {
    return this.uploads.size;
  }

  getCommitted(uploadId: string): FileRecord | undefined {
    return cloneFile(this.committed.get(uploadId)?.file);
  }

  putCommitted(uploadId: string, file: FileRecord, at: number): void {
    this.committed.set(uploadId, { file: cloneFile(file)!, at });
  }

  pruneCommitted(before: number): void {
    for (const [id, { at }] of this.committed) {
      if (at >= before) return;
      this.committed.delete(id);
    }
  }

  getNode(nodeId: string): NodeRecord | undefined {
    return cloneNode(this.nodes.get(nodeId));
  }

  putNode(node: NodeRecord): void {
    this.nodes.set(node.nodeId, cloneNode(node)!);
  }

  listNodes(): NodeRecord[] {
    return [...this.nodes.values()].sort((a, b) => compareUtf8(a.nodeId, b.nodeId)).map((n) => cloneNode(n)!);
  }

  nodesSince(since: number): NodeRecord[] {
    return [...this.nodes.values()]
      .filter((n) => n.version > since)
      .sort((a, b) => a.version - b.version)
      .map((n) => cloneNode(n)!);
  }

  nodeVersion(): number {
    return this.version;
  }

  setNodeVersion(version: number): void {
    this.version = version;
  }

  enqueueGc(entry: NewGcEntry): void {
    const gcId = String(++this.gcSeq);
    this.gc.set(gcId, cloneGc({ ...entry, gcId } as GcEntry));
  }

  peekGc(limit: number, after?: string): GcEntry[] {
    const out: GcEntry[] = [];
    // Ids are a sequence, so "after" holds even when that entry is gone.
    const from = after === undefined ? 0 : Number(after);
    for (const e of this.gc.values()) {
      if (out.length >= limit) break;
      if (Number(e.gcId) <= from) continue;
      out.push(cloneGc(e));
    }
    return out;
  }

  ackGc(gcIds: string[]): void {
    for (const id of gcIds) this.gc.delete(id);
  }
}

function uploadChunkIds(u: UploadRecord): string[] {
  return [...u.placements.map((p) => p.chunkId), ...u.abandonedChunkIds];
}

function cloneFile(f: FileRecord | undefined): FileRecord | undefined {
  return f && { ...f, sha256: new Uint8Array(f.sha256), createdAt: new Date(f.createdAt) };
}

function cloneChunk(c: ChunkRef): ChunkRef {
  return { chunkId: c.chunkId, index: c.index, size: c.size, sha256: new Uint8Array(c.sha256), replicas: [...c.replicas] };
}

// Not structuredClone: its Dates come from Node's realm, not the caller's (jest's), and fail instanceof.
function cloneUpload(u: UploadRecord | undefined): UploadRecord | undefined {
  return (
    u && {
      ...u,
      createdAt: new Date(u.createdAt),
      expiresAt: new Date(u.expiresAt),
      placements: u.placements.map((p) => ({ ...p, nodeIds: [...p.nodeIds] })),
      abandonedChunkIds: [...u.abandonedChunkIds],
    }
  );
}

function cloneGc(e: GcEntry): GcEntry {
  return e.kind === 'file' ? { ...e, enqueuedAt: new Date(e.enqueuedAt) } : { ...e, chunkIds: [...e.chunkIds], enqueuedAt: new Date(e.enqueuedAt) };
}

function cloneNode(n: NodeRecord | undefined): NodeRecord | undefined {
  return n && { ...n, registeredAt: new Date(n.registeredAt), lastHeartbeat: new Date(n.lastHeartbeat) };
}
