// MetadataTables over SQLite (better-sqlite3): prepared statements, one per
// primitive. Small records that are only ever read whole (uploads, nodes, GC
// entries) are JSON; files and chunks get columns because they are scanned.
import type { Database } from 'better-sqlite3';
import type { ScanPosition } from '../list-paging.js';
import type { ChunkRef, FileRecord, GcEntry, NodeRecord, UploadRecord } from '../metadata-store.js';
import type { MetadataTables, NewGcEntry } from '../metadata-tables.js';

interface FileRow {
  path: string;
  file_id: string;
  size: number;
  sha256: Buffer;
  chunk_size: number;
  replication: number;
  chunk_count: number;
  created_at: number;
}

interface ChunkRow {
  idx: number;
  chunk_id: string;
  size: number;
  sha256: Buffer;
  replicas: string;
}

const FILE_COLUMNS = 'path, file_id, size, sha256, chunk_size, replication, chunk_count, created_at';
/** The same columns of a `files AS f` in a join (json_each has a `path` column of its own). */
const F_COLUMNS = FILE_COLUMNS.split(', ')
  .map((c) => `f.${c}`)
  .join(', ');

function prepareStatements(db: Database) {
  const q = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
  return {
    getFile: q<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE path = ?`),
    seekFrom: q<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE path >= ? ORDER BY path LIMIT 1`),
    seekAfter: q<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE path > ? ORDER BY path LIMIT 1`),
    scan: q<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE path >= ? AND path < ? ORDER BY path`),
    scanToEnd: q<FileRow>(`SELECT ${FILE_COLUMNS} FROM files WHERE path >= ? ORDER BY path`),
    putFile: q(`INSERT OR REPLACE INTO files (${FILE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    deleteFile: q('DELETE FROM files WHERE path = ?'),
    isLive: q('SELECT 1 FROM files WHERE file_id = ?'),
    putChunk: q('INSERT OR REPLACE INTO chunks (file_id, idx, chunk_id, size, sha256, replicas) VALUES (?, ?, ?, ?, ?, ?)'),
    readChunks: q<ChunkRow>('SELECT idx, chunk_id, size, sha256, replicas FROM chunks WHERE file_id = ? AND idx >= ? ORDER BY idx LIMIT ?'),
    deleteChunks: q('DELETE FROM chunks WHERE file_id = ?'),
    // Batched lookups take the ids as one JSON array: one statement for thousands of ids, each an index
    // lookup. Rows name the array position (json_each's key), so answers are in the caller's own strings.
    referencedChunks: q<{ i: number }>(
      'SELECT ids.key AS i FROM json_each(?) AS ids WHERE EXISTS (SELECT 1 FROM chunks WHERE chunk_id = ids.value) ' +
        'OR EXISTS (SELECT 1 FROM upload_chunks WHERE chunk_id = ids.value)',
    ),
    // A chunk id belongs to one chunk list (ids are minted per upload), hence LIMIT 1.
    liveFilesOfChunks: q<FileRow & { i: number }>(
      `SELECT ids.key AS i, ${F_COLUMNS} FROM json_each(?) AS ids ` +
        'JOIN files AS f ON f.file_id = (SELECT file_id FROM chunks WHERE chunk_id = ids.value LIMIT 1)',
    ),
    fileCounts: q<{ files: number; chunks: number }>('SELECT count(*) AS files, coalesce(sum(chunk_count), 0) AS chunks FROM files'),
    getUpload: q<{ record: string }>('SELECT record FROM uploads WHERE upload_id = ?'),
    putUpload: q('INSERT OR REPLACE INTO uploads (upload_id, expires_at, record) VALUES (?, ?, ?)'),
    deleteUpload: q('DELETE FROM uploads WHERE upload_id = ?'),
    putUploadChunk: q('INSERT OR REPLACE INTO upload_chunks (chunk_id, upload_id) VALUES (?, ?)'),
    deleteUploadChunks: q('DELETE FROM upload_chunks WHERE upload_id = ?'),
    expired: q<{ record: string }>('SELECT record FROM uploads WHERE expires_at < ? ORDER BY expires_at, upload_id LIMIT ?'),
    uploadCount: q<{ n: number }>('SELECT count(*) AS n FROM uploads'),
    getCommitted: q<{ file: string }>('SELECT file FROM committed_uploads WHERE upload_id = ?'),
    putCommitted: q('INSERT OR REPLACE INTO committed_uploads (upload_id, committed_at, file) VALUES (?, ?, ?)'),
    pruneCommitted: q('DELETE FROM committed_uploads WHERE committed_at < ?'),
    getNode: q<{ record: string }>('SELECT record FROM nodes WHERE node_id = ?'),
    putNode: q('INSERT OR REPLACE INTO nodes (node_id, version, record) VALUES (?, ?, ?)'),
    listNodes: q<{ record: string }>('SELECT record FROM nodes ORDER BY node_id'),
    nodesSince: q<{ record: string }>('SELECT record FROM nodes WHERE version > ? ORDER BY version'),
    getMeta: q<{ value: number }>('SELECT value FROM meta WHERE key = ?'),
    putMeta: q('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    enqueueGc: q('INSERT INTO gc_queue (entry) VALUES (?)'),
    peekGc: q<{ gc_id: number; entry: string }>('SELECT gc_id, entry FROM gc_queue WHERE gc_id > ? ORDER BY gc_id LIMIT ?'),
    ackGc: q('DELETE FROM gc_queue WHERE gc_id = ?'),
  };
}

export class SqliteTables implements MetadataTables {
  private readonly s: ReturnType<typeof prepareStatements>;

  constructor(db: Database) {
    this.s = prepareStatements(db);
  }

  getFile(path: string): FileRecord | undefined {
    return toFile(this.s.getFile.get(path));
  }

  seekFile(from: ScanPosition): FileRecord | undefined {
    return toFile((from.inclusive ? this.s.seekFrom : this.s.seekAfter).get(from.key));
  }

  scanFiles(start: string, end: string | undefined): FileRecord[] {
    const rows = end === undefined ? this.s.scanToEnd.all(start) : this.s.scan.all(start, end);
    return rows.map((r) => toFile(r)!);
  }

  putFile(f: FileRecord): void {
    this.s.putFile.run(f.path, f.fileId, f.size, Buffer.from(f.sha256), f.chunkSize, f.replication, f.chunkCount, f.createdAt.getTime());
  }

  deleteFile(path: string): void {
    this.s.deleteFile.run(path);
  }

  isLiveFile(fileId: string): boolean {
    return this.s.isLive.get(fileId) !== undefined;
  }

  putChunks(fileId: string, chunks: ChunkRef[]): void {
    for (const c of chunks) this.s.putChunk.run(fileId, c.index, c.chunkId, c.size, Buffer.from(c.sha256), JSON.stringify(c.replicas));
  }

  readChunks(fileId: string, fromIndex: number, limit: number): ChunkRef[] {
    return this.s.readChunks.all(fileId, fromIndex, limit).map((r) => ({
      chunkId: r.chunk_id,
      index: r.idx,
      size: r.size,
      sha256: new Uint8Array(r.sha256),
      replicas: JSON.parse(r.replicas) as string[],
    }));
  }

  deleteChunks(fileId: string): void {
    this.s.deleteChunks.run(fileId);
  }

  referencedChunks(chunkIds: readonly string[]): Set<string> {
    return new Set(this.s.referencedChunks.all(JSON.stringify(chunkIds)).map((r) => chunkIds[r.i]!));
  }

  liveFilesOfChunks(chunkIds: readonly string[]): Map<string, FileRecord> {
    const found = new Map<string, FileRecord>();
    // Chunks of one file share its row: decode it once.
    let last: FileRecord | undefined;
    for (const row of this.s.liveFilesOfChunks.all(JSON.stringify(chunkIds))) {
      if (last?.fileId !== row.file_id) last = toFile(row)!;
      found.set(chunkIds[row.i]!, last);
    }
    return found;
  }

  fileCounts(): { files: number; chunks: number } {
    return this.s.fileCounts.get()!;
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.s.getUpload.get(uploadId);
    return row && decodeUpload(row.record);
  }

  putUpload(u: UploadRecord): void {
    this.s.putUpload.run(u.uploadId, u.expiresAt.getTime(), encodeUpload(u));
    this.s.deleteUploadChunks.run(u.uploadId);
    for (const p of u.placements) this.s.putUploadChunk.run(p.chunkId, u.uploadId);
    for (const id of u.abandonedChunkIds) this.s.putUploadChunk.run(id, u.uploadId);
  }

  deleteUpload(uploadId: string): void {
    this.s.deleteUpload.run(uploadId);
    this.s.deleteUploadChunks.run(uploadId);
  }

  expiredUploads(now: number, limit: number): UploadRecord[] {
    return this.s.expired.all(now, limit).map((r) => decodeUpload(r.record));
  }

  uploadCount(): number {
    return this.s.uploadCount.get()!.n;
  }

  getCommitted(uploadId: string): FileRecord | undefined {
    const row = this.s.getCommitted.get(uploadId);
    return row && decodeFile(row.file);
  }

  putCommitted(uploadId: string, file: FileRecord, at: number): void {
    this.s.putCommitted.run(uploadId, at, encodeFile(file));
  }

  pruneCommitted(before: number): void {
    this.s.pruneCommitted.run(before);
  }

  getNode(nodeId: string): NodeRecord | undefined {
    const row = this.s.getNode.get(nodeId);
    return row && decodeNode(row.record);
  }

  putNode(node: NodeRecord): void {
    this.s.putNode.run(node.nodeId, node.version, encodeNode(node));
  }

  listNodes(): NodeRecord[] {
    return this.s.listNodes.all().map((r) => decodeNode(r.record));
  }

  nodesSince(since: number): NodeRecord[] {
    return this.s.nodesSince.all(since).map((r) => decodeNode(r.record));
  }

  nodeVersion(): number {
    return this.s.getMeta.get('node_version')?.value ?? 0;
  }

  setNodeVersion(version: number): void {
    this.s.putMeta.run('node_version', version);
  }

  enqueueGc(entry: NewGcEntry): void {
    this.s.enqueueGc.run(JSON.stringify({ ...entry, enqueuedAt: entry.enqueuedAt.getTime() }));
  }

  peekGc(limit: number, after?: string): GcEntry[] {
    return this.s.peekGc.all(after === undefined ? 0 : Number(after), limit).map((r) => {
      const e = JSON.parse(r.entry) as Omit<GcEntry, 'gcId' | 'enqueuedAt'> & { enqueuedAt: number };
      return { ...e, gcId: String(r.gc_id), enqueuedAt: new Date(e.enqueuedAt) } as GcEntry;
    });
  }

  ackGc(gcIds: string[]): void {
    for (const id of gcIds) {
      // Ids are decimal integers; anything else names no entry.
      if (/^\d{1,15}$/.test(id)) this.s.ackGc.run(Number(id));
    }
  }
}

function toFile(r: FileRow | undefined): FileRecord | undefined {
  return (
    r && {
      path: r.path,
      fileId: r.file_id,
      size: r.size,
      sha256: new Uint8Array(r.sha256),
      chunkSize: r.chunk_size,
      replication: r.replication,
      chunkCount: r.chunk_count,
      createdAt: new Date(r.created_at),
    }
  );
}

function encodeFile(f: FileRecord): string {
  return JSON.stringify({ ...f, sha256: Buffer.from(f.sha256).toString('hex'), createdAt: f.createdAt.getTime() });
}

function decodeFile(json: string): FileRecord {
  const f = JSON.parse(json) as Omit<FileRecord, 'sha256' | 'createdAt'> & { sha256: string; createdAt: number };
  return { ...f, sha256: new Uint8Array(Buffer.from(f.sha256, 'hex')), createdAt: new Date(f.createdAt) };
}

function encodeUpload(u: UploadRecord): string {
  return JSON.stringify({ ...u, createdAt: u.createdAt.getTime(), expiresAt: u.expiresAt.getTime() });
}

function decodeUpload(json: string): UploadRecord {
  const u = JSON.parse(json) as Omit<UploadRecord, 'createdAt' | 'expiresAt'> & { createdAt: number; expiresAt: number };
  return { ...u, createdAt: new Date(u.createdAt), expiresAt: new Date(u.expiresAt) };
}

function encodeNode(n: NodeRecord): string {
  return JSON.stringify({ ...n, registeredAt: n.registeredAt.getTime(), lastHeartbeat: n.lastHeartbeat.getTime() });
}

function decodeNode(json: string): NodeRecord {
  const n = JSON.parse(json) as Omit<NodeRecord, 'registeredAt' | 'lastHeartbeat'> & { registeredAt: number; lastHeartbeat: number };
  return { ...n, registeredAt: new Date(n.registeredAt), lastHeartbeat: new Date(n.lastHeartbeat) };
}
