// JSON forms of the records as stored in etcd: dates as epoch milliseconds,
// digests as base64, and chunk refs as compact arrays (a 200,000-chunk file's
// list is ~25 MB of JSON; objects with field names would be half again as much).
import { Code, DfsError } from '@dfs/proto';
import type { ChunkRef, FileRecord, GcEntry, NodeRecord, UploadRecord } from '../metadata-store.js';

type Json = Record<string, unknown>;

export function encodeFile(f: FileRecord): string {
  return JSON.stringify({ ...f, sha256: b64(f.sha256), createdAt: f.createdAt.getTime() });
}

export function decodeFile(value: Buffer | string): FileRecord {
  const j = parse(value, 'file record');
  return {
    path: j['path'] as string,
    fileId: j['fileId'] as string,
    size: j['size'] as number,
    sha256: unb64(j['sha256'] as string),
    chunkSize: j['chunkSize'] as number,
    replication: j['replication'] as number,
    chunkCount: j['chunkCount'] as number,
    createdAt: new Date(j['createdAt'] as number),
  };
}

export function encodeChunks(chunks: ChunkRef[]): string {
  return JSON.stringify(chunks.map((c) => [c.chunkId, c.index, c.size, b64(c.sha256), c.replicas]));
}

export function decodeChunks(value: Buffer): ChunkRef[] {
  const rows = JSON.parse(value.toString('utf8')) as [string, number, number, string, string[]][];
  return rows.map(([chunkId, index, size, sha, replicas]) => ({ chunkId, index, size, sha256: unb64(sha), replicas }));
}

/** An upload as stored: the record plus the lease its keys hang on. */
export interface StoredUpload {
  upload: UploadRecord;
  leaseId: string;
}

export function encodeUpload(u: UploadRecord, leaseId: string): string {
  return JSON.stringify({ ...u, createdAt: u.createdAt.getTime(), expiresAt: u.expiresAt.getTime(), leaseId });
}

export function decodeUpload(value: Buffer): StoredUpload {
  const j = parse(value, 'upload record');
  const upload: UploadRecord = {
    uploadId: j['uploadId'] as string,
    path: j['path'] as string,
    chunkSize: j['chunkSize'] as number,
    replication: j['replication'] as number,
    overwrite: j['overwrite'] as boolean,
    createdAt: new Date(j['createdAt'] as number),
    expiresAt: new Date(j['expiresAt'] as number),
    placements: j['placements'] as UploadRecord['placements'],
    abandonedChunkIds: j['abandonedChunkIds'] as string[],
  };
  if (typeof j['size'] === 'number') upload.size = j['size'];
  return { upload, leaseId: String(j['leaseId'] ?? '0') };
}

export function encodeNode(n: NodeRecord): string {
  return JSON.stringify({ ...n, registeredAt: n.registeredAt.getTime(), lastHeartbeat: n.lastHeartbeat.getTime() });
}

export function decodeNode(value: Buffer): NodeRecord {
  const j = parse(value, 'node record');
  return { ...(j as unknown as NodeRecord), registeredAt: new Date(j['registeredAt'] as number), lastHeartbeat: new Date(j['lastHeartbeat'] as number) };
}

/**
 * A stored GC entry. A tree delete stores its files as one `files` entry
 * (one key for thousands of files); peekGc shows it as one `file` entry per
 * fileId with the gcId "<key>#<fileId>".
 */
export type StoredGc =
  | { kind: 'files'; fileIds: string[]; reason: 'deleted' | 'overwritten'; enqueuedAt: number }
  | { kind: 'chunks'; chunkIds: string[]; reason: 'aborted' | 'expired' | 'replaced-placement'; enqueuedAt: number };

export function encodeGc(entry: StoredGc): string {
  return JSON.stringify(entry);
}

export function expandGc(key: string, value: Buffer): GcEntry[] {
  const e = parse(value, 'GC entry') as unknown as StoredGc;
  const enqueuedAt = new Date(e.enqueuedAt);
  if (e.kind === 'chunks') return [{ gcId: key, kind: 'chunks', chunkIds: e.chunkIds, reason: e.reason, enqueuedAt }];
  return e.fileIds.map((fileId) => ({ gcId: `${key}#${fileId}`, kind: 'file' as const, fileId, reason: e.reason, enqueuedAt }));
}

function parse(value: Buffer | string, what: string): Json {
  try {
    return JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as Json;
  } catch (err) {
    throw new DfsError(Code.DataLoss, `etcd holds an unreadable ${what}: the key was written by something else than DFS`, { cause: err });
  }
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
