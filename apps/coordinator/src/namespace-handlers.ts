import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import type { ChunkRef, FileRecord, ListEntry, MetadataStore, Placement, UploadRecord } from '@dfs/metadata';
import {
  ChunkPlacementSchema,
  Code,
  CoordinatorService,
  DfsError,
  FileInfoSchema,
  ancestorsOf,
  newChunkId,
  validatePath,
  type ChunkPlacement,
  type FileInfo,
} from '@dfs/proto';
import type { Placer } from './placer.js';
import { checkCommit, chunkCountFor, maxChunksPerFile, resolveChunkSize, resolveFileSize, resolveReplication } from './upload-rules.js';

export interface NamespaceOptions {
  defaultReplication: number;
  /** Told of every commit (the healer learns the copies each chunk has). */
  onCommitted?: (file: FileRecord, chunks: ChunkRef[]) => void;
  /** Node ids that hold a chunk; default the replicas recorded at commit. */
  locate?: (chunk: ChunkRef) => string[];
  /** Chunk size of uploads that ask for none. Default: DEFAULT_CHUNK_SIZE (8 MiB). */
  defaultChunkSize?: number;
  /** Durable copies every chunk needs at commit (capped at the upload's replication). */
  minReplicas: number;
  /** An upload expires this long after its last activity. */
  uploadTtlMs: number;
  /** Placements returned by one CreateUpload/AllocateChunks call; the client asks for more. */
  maxPlacementsPerCall: number;
  now: () => number;
}

const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10_000;
const MAX_CHUNKS_PER_PAGE = 10_000;

/** CreateUpload, AllocateChunks, CommitUpload, AbortUpload, Stat, GetFile, ListFiles, Delete, Rename. */
export function namespaceHandlers(store: MetadataStore, placer: Placer, options: NamespaceOptions): Partial<ServiceImpl<typeof CoordinatorService>> {
  const expiry = () => new Date(options.now() + options.uploadTtlMs);

  function placements(upload: Pick<UploadRecord, 'replication' | 'chunkSize'>, indexes: number[], exclude?: ReadonlySet<string>) {
    const targets = placer.place(indexes.length, { replication: upload.replication, chunkSize: upload.chunkSize, excludeNodeIds: exclude });
    return indexes.map((index, i) => ({ index, chunkId: newChunkId(), targets: targets[i]! }));
  }

  async function openUpload(uploadId: string): Promise<UploadRecord> {
    const upload = uploadId ? await store.getUpload(uploadId) : undefined;
    if (!upload) throw new DfsError(Code.NotFound, `upload ${JSON.stringify(uploadId)} is unknown or expired: start a new upload`);
    return upload;
  }

  return {
    async createUpload(req) {
      const path = uploadPath(req.path);
      const chunkSize = resolveChunkSize(req.chunkSize, options.defaultChunkSize);
      const replication = resolveReplication(req.replication, options.defaultReplication, placer.liveCount());
      const size = resolveFileSize(req.size, chunkSize, replication);
      await assertWritable(store, path, req.overwrite);
      const count = size === undefined ? 0 : Math.min(chunkCountFor(size, chunkSize), options.maxPlacementsPerCall);
      const placed = placements({ replication, chunkSize }, range(count));
      const now = new Date(options.now());
      const upload: UploadRecord = {
        uploadId: randomUUID(),
        path,
        size,
        chunkSize,
        replication,
        overwrite: req.overwrite,
        createdAt: now,
        expiresAt: expiry(),
        placements: placed.map(toPlacement),
        abandonedChunkIds: [],
      };
      await store.createUpload(upload);
      return {
        uploadId: upload.uploadId,
        expiresAt: timestampFromMs(upload.expiresAt.getTime()),
        ttlMs: BigInt(options.uploadTtlMs),
        chunkSize: BigInt(chunkSize),
        replication,
        placements: placed.map(toProto),
      };
    },

    async allocateChunks(req) {
      const upload = await openUpload(req.uploadId);
      if (req.indexes.length === 0 || req.indexes.length > options.maxPlacementsPerCall) {
        throw new DfsError(Code.InvalidArgument, `ask for 1 to ${options.maxPlacementsPerCall} chunk indexes per call, not ${req.indexes.length}`);
      }
      const total = upload.size === undefined ? undefined : chunkCountFor(upload.size, upload.chunkSize);
      // A stream (no declared size) is stopped here, at the first chunk its commit could not carry.
      const max = maxChunksPerFile(upload.replication);
      for (const index of req.indexes) {
        if (total !== undefined && index >= total) throw new DfsError(Code.InvalidArgument, `chunk index ${index} is past the last chunk (${total - 1}) of this upload`);
        if (index >= max) {
          throw new DfsError(
            Code.InvalidArgument,
            `chunk index ${index}: a file of ${upload.replication} copies may have at most ${max} chunks of ${upload.chunkSize} B; upload it again with larger chunks (up to 64 MiB)`,
          );
        }
      }
      if (new Set(req.indexes).size !== req.indexes.length) throw new DfsError(Code.InvalidArgument, 'a chunk index is listed twice');
      const placed = placements(upload, req.indexes, new Set(req.excludeNodeIds));
      const updated = await store.placeChunks(upload.uploadId, placed.map(toPlacement), expiry());
      return { placements: placed.map(toProto), expiresAt: timestampFromMs(updated.expiresAt.getTime()) };
    },

    async commitUpload(req) {
      // A retry whose first attempt committed (the response was lost) gets the same file.
      const upload = req.uploadId ? await store.getUpload(req.uploadId) : undefined;
      if (!upload) {
        const done = req.uploadId ? await store.getCommittedUpload(req.uploadId) : undefined;
        if (done) return { file: fileInfo(done) };
        throw new DfsError(Code.NotFound, `upload ${JSON.stringify(req.uploadId)} is unknown or expired: start a new upload`);
      }
      // Checked as a bigint, before Number(): -1 would count as a file of 0 chunks,
      // and an int64 past 2^53 would lose its low bits.
      const size = resolveFileSize(req.size, upload.chunkSize, upload.replication)!;
      const chunks = checkCommit({
        planned: upload.placements,
        reported: req.chunks.map((c) => ({ chunkId: c.chunkId, index: c.index, size: Number(c.size), sha256: c.sha256, replicas: c.replicaNodeIds })),
        declaredSize: upload.size,
        size,
        fileSha256: req.fileSha256,
        chunkSize: upload.chunkSize,
        minReplicas: Math.min(options.minReplicas, upload.replication),
      });
      const { file, alreadyCommitted } = await store.commitFile({
        uploadId: upload.uploadId,
        path: upload.path,
        size,
        sha256: req.fileSha256,
        chunkSize: upload.chunkSize,
        replication: upload.replication,
        overwrite: upload.overwrite,
        chunks,
      });
      if (!alreadyCommitted) options.onCommitted?.(file, chunks);
      return { file: fileInfo(file) };
    },

    async renewUpload(req) {
      // An upload whose placements were all given at CreateUpload makes no
      // other call until its commit: without this, one whose chunks take
      // longer than the TTL to write (a slow link) expired and lost its chunks.
      await openUpload(req.uploadId);
      const updated = await store.placeChunks(req.uploadId, [], expiry());
      return { expiresAt: timestampFromMs(updated.expiresAt.getTime()), ttlMs: BigInt(options.uploadTtlMs) };
    },

    async abortUpload(req) {
      // Unknown and expired ids are fine (an abort may be retried), but a committed one is not:
      // a client that took the OK for "aborted" would believe a visible file never landed.
      if ((await store.abortUpload(req.uploadId, 'aborted')) || !req.uploadId) return {};
      const done = await store.getCommittedUpload(req.uploadId);
      if (done) {
        throw new DfsError(
          Code.FailedPrecondition,
          `upload ${req.uploadId} was already committed (as ${done.path}, file ${done.fileId}), so it cannot be aborted: the file landed; delete it to remove it`,
        );
      }
      return {};
    },

    async stat(req) {
      return { file: await statPath(store, validatePath(req.path)) };
    },

    async getFile(req) {
      const path = validatePath(req.path);
      const max = req.maxChunks === 0 ? MAX_CHUNKS_PER_PAGE : req.maxChunks;
      if (max > MAX_CHUNKS_PER_PAGE) throw new DfsError(Code.InvalidArgument, `max_chunks ${max} is over ${MAX_CHUNKS_PER_PAGE}: ask for fewer and page with from_index`);
      const file = path === '/' ? undefined : await store.getFile(path);
      if (!file) {
        if (path === '/' || (await store.list(path, { limit: 1 })).entries.length > 0) {
          throw new DfsError(Code.FailedPrecondition, `${path} is a directory: list it with ListFiles`);
        }
        throw notFound(path);
      }
      if (req.fileId && req.fileId !== file.fileId) {
        throw new DfsError(Code.FailedPrecondition, `${path} changed (it was overwritten or moved) while its chunk list was being read: read it again from the start`);
      }
      if (req.fromIndex > file.chunkCount) {
        throw new DfsError(Code.OutOfRange, `from_index ${req.fromIndex} is past the end of ${path} (${file.chunkCount} chunks): ask for 0 to ${file.chunkCount}`);
      }
      const chunks = [];
      // Every chunk but the last is chunkSize long (checked at commit), so a page's offsets need no earlier pages.
      for await (const c of store.readChunks(file.fileId, { fromIndex: req.fromIndex })) {
        if (chunks.length === max) break;
        const offset = BigInt(c.index) * BigInt(file.chunkSize);
        chunks.push({ chunkId: c.chunkId, index: c.index, offset, size: BigInt(c.size), sha256: c.sha256, replicas: placer.readable(options.locate?.(c) ?? c.replicas) });
      }
      return { file: fileInfo(file), chunks, nextIndex: req.fromIndex + chunks.length };
    },

    async listFiles(req) {
      const path = validatePath(req.path);
      const limit = req.pageSize === 0 ? DEFAULT_PAGE : req.pageSize;
      if (limit > MAX_PAGE) {
        throw new DfsError(Code.InvalidArgument, `page_size ${limit} is over ${MAX_PAGE}: ask for 1 to ${MAX_PAGE} entries per page (0 for the default, ${DEFAULT_PAGE})`);
      }
      if (path !== '/' && (await store.getFile(path))) throw new DfsError(Code.FailedPrecondition, `${path} is a file, not a directory: use Stat`);
      const page = await store.list(path, { recursive: req.recursive, limit, cursor: req.cursor || undefined });
      if (page.entries.length === 0 && !req.cursor && path !== '/') throw notFound(path);
      return { entries: page.entries.map(listEntryInfo), nextCursor: page.nextCursor ?? '' };
    },

    async delete(req) {
      const path = validatePath(req.path);
      if (path === '/') throw new DfsError(Code.InvalidArgument, 'refusing to delete "/": delete its entries instead');
      const { filesDeleted } = await store.deletePath(path, { recursive: req.recursive });
      return { filesDeleted: BigInt(filesDeleted) };
    },

    async rename(req) {
      const from = validatePath(req.from, 'from');
      const to = uploadPath(req.to, 'to');
      if (from === '/') throw new DfsError(Code.InvalidArgument, 'cannot rename "/"');
      const { filesRenamed } = await store.rename(from, to, { overwrite: req.overwrite });
      return { filesRenamed: BigInt(filesRenamed) };
    },
  };
}

function uploadPath(input: string, what = 'path'): string {
  const path = validatePath(input, what);
  if (path === '/') throw new DfsError(Code.InvalidArgument, `${what} "/" is the root directory: name a file below it`, { reason: 'BAD_PATH' });
  return path;
}

/** Early, friendly refusals; commitFile re-checks atomically. */
async function assertWritable(store: MetadataStore, path: string, overwrite: boolean): Promise<void> {
  if (!overwrite && (await store.getFile(path))) throw new DfsError(Code.AlreadyExists, `${path} exists: pass overwrite to replace it`);
  for (const p of ancestorsOf(path)) {
    if (await store.getFile(p)) throw new DfsError(Code.FailedPrecondition, `${p} is a file, so ${path} cannot be created below it`);
  }
  if ((await store.list(path, { limit: 1 })).entries.length > 0) throw new DfsError(Code.FailedPrecondition, `${path} is a directory: pick another name`);
}

async function statPath(store: MetadataStore, path: string): Promise<FileInfo> {
  const file = path === '/' ? undefined : await store.getFile(path);
  if (file) return fileInfo(file);
  if (path === '/' || (await store.list(path, { limit: 1 })).entries.length > 0) return create(FileInfoSchema, { path, isDirectory: true });
  throw notFound(path);
}

function notFound(path: string): DfsError {
  return new DfsError(Code.NotFound, `${path} does not exist`);
}

function fileInfo(f: FileRecord): FileInfo {
  return create(FileInfoSchema, {
    path: f.path,
    size: BigInt(f.size),
    sha256: f.sha256,
    chunkSize: BigInt(f.chunkSize),
    replication: f.replication,
    chunkCount: f.chunkCount,
    createdAt: timestampFromMs(f.createdAt.getTime()),
    fileId: f.fileId,
  });
}

function listEntryInfo(e: ListEntry): FileInfo {
  return e.kind === 'file' ? fileInfo(e.file) : create(FileInfoSchema, { path: e.path, isDirectory: true });
}

function toPlacement(p: { index: number; chunkId: string; targets: { nodeId: string }[] }): Placement {
  return { index: p.index, chunkId: p.chunkId, nodeIds: p.targets.map((t) => t.nodeId) };
}

function toProto(p: { index: number; chunkId: string; targets: ChunkPlacement['targets'] }): ChunkPlacement {
  return create(ChunkPlacementSchema, { chunkId: p.chunkId, index: p.index, targets: p.targets });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
