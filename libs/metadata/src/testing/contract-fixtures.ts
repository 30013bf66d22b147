// Builders and helpers shared by the contract suite's parts. Nothing here
// knows a backend: everything goes through the MetadataStore interface.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from '@jest/globals';
import { Code, isDfsError, newChunkId, type DfsError } from '@dfs/proto';
import type {
  ChunkRef,
  CommitInput,
  CommitResult,
  FileRecord,
  GcEntry,
  ListEntry,
  ListOptions,
  MetadataStore,
  NodeRecord,
  UploadRecord,
} from '../metadata-store.js';

/** Gives each test the store opened for it (see describeMetadataContract). */
export interface ContractContext {
  readonly store: MetadataStore;
  readonly large: boolean;
}

export function sha(fill?: number): Uint8Array {
  return fill === undefined ? new Uint8Array(randomBytes(32)) : new Uint8Array(32).fill(fill);
}

export function newUploadId(): string {
  return randomUUID();
}

/** `count` chunks of `chunkSize` bytes (the last one shorter when `size` says so). */
export function makeChunks(count: number, chunkSize = 1024, replicas = ['n1', 'n2', 'n3']): ChunkRef[] {
  const chunks: ChunkRef[] = [];
  for (let index = 0; index < count; index++) {
    chunks.push({ chunkId: newChunkId(), index, size: chunkSize, sha256: sha(index % 256), replicas });
  }
  return chunks;
}

export function commitInput(path: string, init: Partial<CommitInput> & { chunkCount?: number } = {}): CommitInput {
  const chunkSize = init.chunkSize ?? 1024;
  const chunks = init.chunks ?? makeChunks(init.chunkCount ?? 2, chunkSize);
  return {
    uploadId: init.uploadId ?? newUploadId(),
    path,
    size: init.size ?? chunks.reduce((n, c) => n + c.size, 0),
    sha256: init.sha256 ?? sha(),
    chunkSize,
    replication: init.replication ?? 3,
    overwrite: init.overwrite ?? false,
    chunks,
  };
}

/**
 * Opens the upload a commit of `input` needs (commitFile refuses an upload
 * that is not open): the record CreateUpload would store, with each chunk
 * placed where the input says it landed, so committing it queues no
 * 'replaced-placement' chunks. `init` overrides fields (placements: [] for
 * an upload that holds no chunks of its own).
 */
export async function openUpload(store: MetadataStore, input: CommitInput, init: Partial<UploadRecord> = {}): Promise<void> {
  await store.createUpload(
    uploadRecord(input.path, {
      uploadId: input.uploadId,
      size: input.size,
      chunkSize: input.chunkSize,
      replication: input.replication,
      overwrite: input.overwrite,
      placements: input.chunks.map((c) => ({ index: c.index, chunkId: c.chunkId, nodeIds: [...c.replicas] })),
      ...init,
    }),
  );
}

/** Opens `input`'s upload and commits it, as CreateUpload then CommitUpload do. */
export async function commitUpload(store: MetadataStore, input: CommitInput): Promise<CommitResult> {
  await openUpload(store, input);
  return store.commitFile(input);
}

/** Commits a small file and returns it (the common setup step). */
export async function putFile(store: MetadataStore, path: string, init: Partial<CommitInput> & { chunkCount?: number } = {}): Promise<CommitResult> {
  return commitUpload(store, commitInput(path, init));
}

/** Commits many files, a batch at a time concurrently, as a busy coordinator would. */
export async function putFiles(store: MetadataStore, paths: string[], batch = 200): Promise<void> {
  for (let i = 0; i < paths.length; i += batch) {
    await Promise.all(paths.slice(i, i + batch).map((p) => commitUpload(store, commitInput(p, { chunkCount: 1 }))));
  }
}

export function uploadRecord(path: string, init: Partial<UploadRecord> = {}): UploadRecord {
  const now = Date.now();
  return {
    uploadId: newUploadId(),
    path,
    size: 4096,
    chunkSize: 1024,
    replication: 3,
    overwrite: false,
    createdAt: new Date(now),
    expiresAt: new Date(now + 15 * 60_000),
    placements: [],
    abandonedChunkIds: [],
    ...init,
  };
}

export function nodeRecord(nodeId: string, init: Partial<Omit<NodeRecord, 'version'>> = {}): Omit<NodeRecord, 'version'> {
  const now = new Date();
  return {
    nodeId,
    address: `127.0.0.1:${7000 + nodeId.length}`,
    zone: 'z1',
    state: 'healthy',
    capacityBytes: 1e12,
    usedBytes: 1e9,
    freeBytes: 1e12 - 1e9,
    chunkCount: 10,
    activeTransfers: 0,
    registeredAt: now,
    lastHeartbeat: now,
    ...init,
  };
}

/** Every chunk of a file, in the order the store yields them. */
export async function allChunks(store: MetadataStore, fileId: string, fromIndex?: number): Promise<ChunkRef[]> {
  const out: ChunkRef[] = [];
  for await (const c of store.readChunks(fileId, fromIndex === undefined ? undefined : { fromIndex })) out.push(c);
  return out;
}

/** Every entry of a listing, page by page; fails on a repeated cursor (a loop). */
export async function listAll(store: MetadataStore, dir: string, options: Omit<ListOptions, 'cursor'> = {}): Promise<{ entries: ListEntry[]; pages: number }> {
  const entries: ListEntry[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.list(dir, { ...options, cursor });
    pages++;
    entries.push(...page.entries);
    if (page.nextCursor === undefined) return { entries, pages };
    expect(seen.has(page.nextCursor)).toBe(false);
    seen.add(page.nextCursor);
    cursor = page.nextCursor;
  }
}

/** A listing as short strings: "f:/a/x" for a file, "d:/a/b" for a directory. */
export function shown(entries: ListEntry[]): string[] {
  return entries.map((e) => (e.kind === 'file' ? `f:${e.file.path}` : `d:${e.path}`));
}

/** Every GC entry, oldest first (the queue is not changed). */
export async function allGc(store: MetadataStore): Promise<GcEntry[]> {
  return store.peekGc(100_000);
}

export function gcFileIds(entries: GcEntry[], reason?: string): string[] {
  return entries.flatMap((e) => (e.kind === 'file' && (reason === undefined || e.reason === reason) ? [e.fileId] : []));
}

export function gcChunkIds(entries: GcEntry[], reason?: string): string[] {
  return entries.flatMap((e) => (e.kind === 'chunks' && (reason === undefined || e.reason === reason) ? e.chunkIds : []));
}

/** The DfsError a promise rejects with; fails the test when it resolves or throws something else. */
export async function rejection(p: Promise<unknown>): Promise<DfsError> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    if (!isDfsError(err)) throw new Error(`expected a DfsError, got ${String(err)}`, { cause: err });
    return err;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}

export async function expectCode(p: Promise<unknown>, code: Code): Promise<DfsError> {
  const err = await rejection(p);
  expect(Code[err.code]).toBe(Code[code]);
  expect(err.message.length).toBeGreaterThan(10);
  return err;
}

/** A file record's fields that a store must keep exactly. */
export function fileFields(f: FileRecord): Omit<FileRecord, 'createdAt' | 'sha256'> & { sha256: number[]; createdAt: number } {
  return { ...f, sha256: [...f.sha256], createdAt: f.createdAt.getTime() };
}

export function sortBytes(paths: string[]): string[] {
  return [...paths].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}
