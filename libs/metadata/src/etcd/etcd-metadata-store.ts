// The etcd implementation of MetadataStore: what lets several coordinators
// share one namespace. Key layout: etcd-keys.ts; commits: etcd-commit.ts;
// uploads: etcd-uploads.ts; deletes and renames: etcd-tree.ts. Every write is
// a compare-and-swap on mod revisions, retried on conflict; no etcd lock is
// ever taken.
import { Code, DfsError } from '@dfs/proto';
import { Etcd3 } from 'etcd3';
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
} from '../metadata-store.js';
import { liveFilesOfChunks, referencedChunks } from './etcd-chunk-lookups.js';
import { commitFile, discardChunkList, getCommittedUpload, readChunks } from './etcd-commit.js';
import { decodeFile, decodeNode, encodeGc, encodeNode, expandGc, type StoredGc } from './etcd-codec.js';
import { retryCas, type EtcdContext } from './etcd-context.js';
import { keys } from './etcd-keys.js';
import { EtcdKv, toNumber } from './etcd-kv.js';
import { list } from './etcd-list.js';
import { deletePath, rename } from './etcd-tree.js';
import { fencedDirsOf, jobHides, resumeTreeJobs, runningJob, type TreeJob } from './etcd-tree-job.js';
import { abortUpload, createUpload, expiredUploads, placeChunks, readUpload } from './etcd-uploads.js';

export interface EtcdMetadataStoreOptions {
  endpoints: string[];
  /** Key prefix of this namespace (several DFS clusters, or test runs, can share one etcd). Default "dfs". */
  prefix?: string;
  /** Aborts the initial connection check. */
  signal?: AbortSignal;
  /** etcd's --max-txn-ops. Default 128 (etcd's default). */
  maxTxnOps?: number;
  /** For tests: runs before each batch of a tree delete or rename; a throw stops it there, as a crash would (etcd-tree-job.ts). */
  beforeTreeBatch?: (job: TreeJob, batch: number) => void | Promise<void>;
  /**
   * An upload's keys hang on a lease that lives at least until its expiresAt
   * plus this grace (one lease is shared by the uploads of a few minutes).
   * The coordinator's sweeper normally aborts an expired upload first
   * (through expiredUploads, which queues its chunks for GC); the lease only
   * removes sessions nobody swept, whose chunks then go as orphans. Default 3600.
   */
  uploadLeaseGraceSeconds?: number;
  /** How long a committed upload id stays idempotent. Default 24 h. */
  committedTtlSeconds?: number;
}

/** Uploads created within this long of a lease's grant share it, at most the grace (see uploadLease). */
const UPLOAD_LEASE_SHARE_MS = 5 * 60_000;

export class EtcdMetadataStore implements MetadataStore {
  readonly backend = 'etcd' as const;
  private readonly ctx: EtcdContext;
  private readonly kv: EtcdKv;
  private readonly graceSeconds: number;
  private readonly committedTtl: number;
  private committed: { leaseId: Promise<string>; grantedAt: number } | undefined;
  private uploads: { leaseId: Promise<string>; lastsUntil: number } | undefined;

  constructor(
    private readonly client: Etcd3,
    options: EtcdMetadataStoreOptions,
  ) {
    this.kv = new EtcdKv(client, options.prefix ?? 'dfs', options.endpoints);
    this.graceSeconds = options.uploadLeaseGraceSeconds ?? 3600;
    this.committedTtl = options.committedTtlSeconds ?? 24 * 3600;
    this.ctx = {
      kv: this.kv,
      maxTxnOps: options.maxTxnOps ?? 128,
      treeJobs: new Map(),
      beforeTreeBatch: options.beforeTreeBatch,
      committedLease: () => this.committedLease(),
    };
  }

  // ---- namespace ----

  async getFile(path: string): Promise<FileRecord | undefined> {
    const { kv } = this;
    const fences = fencedDirsOf(path).map((d) => kv.getOp(keys.fence(d)));
    for (;;) {
      const read = await kv.txn([], [kv.getOp(keys.file(path)), ...fences]);
      const [fileKv, ...fenceKvs] = read.responses.map((r) => r.response_range.kvs[0]);
      const job = runningJob(fenceKvs);
      if (!job) return fileKv && decodeFile(fileKv.value);
      if (jobHides(job, path)) return undefined;
      // Below a running rename's target: the file's key is the new one or, not yet moved, the old one.
      const old = job.from + path.slice(job.to!.length);
      const both = await kv.txn([], [kv.getOp(keys.file(path)), kv.getOp(keys.file(old)), kv.getOp(keys.fence(job.to!))]);
      const [movedKv, oldKv, targetFence] = both.responses.map((r) => r.response_range.kvs[0]);
      if (!targetFence || runningJob([targetFence])?.id !== job.id) continue; // it finished meanwhile
      if (movedKv) return decodeFile(movedKv.value);
      return oldKv && { ...decodeFile(oldKv.value), path };
    }
  }

  readChunks(fileId: string, options?: { fromIndex?: number }): AsyncIterable<ChunkRef> {
    return readChunks(this.ctx, fileId, options?.fromIndex);
  }

  getCommittedUpload(uploadId: string): Promise<FileRecord | undefined> {
    return getCommittedUpload(this.ctx, uploadId);
  }

  commitFile(input: CommitInput): Promise<CommitResult> {
    return commitFile(this.ctx, input);
  }

  deletePath(path: string, options?: { recursive?: boolean }): Promise<{ filesDeleted: number }> {
    return deletePath(this.ctx, path, options?.recursive ?? false);
  }

  rename(from: string, to: string, options?: { overwrite?: boolean }): Promise<{ filesRenamed: number }> {
    return rename(this.ctx, from, to, options?.overwrite ?? false);
  }

  list(dir: string, options?: ListOptions): Promise<ListPage> {
    return list(this.ctx, dir, options);
  }


  /** Scans every file record (status pages only: O(files)). */
  async counts(): Promise<{ files: number; chunks: number; uploads: number }> {
    let files = 0;
    let chunks = 0;
    for await (const kv of this.kv.scan(keys.filesBelow('/'))) {
      files++;
      chunks += decodeFile(kv.value).chunkCount;
    }
    return { files, chunks, uploads: await this.kv.count(keys.uploads()) };
  }

  // ---- upload sessions ----

  async createUpload(upload: UploadRecord): Promise<void> {
    const lastsUntil = Math.max(Date.now(), upload.expiresAt.getTime()) + this.graceSeconds * 1000;
    await createUpload(this.ctx, upload, () => this.uploadLease(lastsUntil));
  }

  async getUpload(uploadId: string): Promise<UploadRecord | undefined> {
    return (await readUpload(this.ctx, uploadId))?.upload;
  }

  async placeChunks(uploadId: string, placements: Placement[], expiresAt: Date): Promise<UploadRecord> {
    const { leaseId, moved } = await placeChunks(this.ctx, uploadId, placements, expiresAt);
    // A keep-alive restarts the lease's granted TTL from now, which follows a session timeout measured from the last activity.
    if (moved) await this.kv.keepAliveOnce(leaseId);
    const session = await readUpload(this.ctx, uploadId);
    if (!session) throw new DfsError(Code.NotFound, `upload ${uploadId} ended while chunks were placed (committed, aborted or expired)`);
    return session.upload;
  }

  async abortUpload(uploadId: string, reason: 'aborted' | 'expired'): Promise<UploadRecord | undefined> {
    return (await abortUpload(this.ctx, uploadId, reason))?.upload;
  }

  expiredUploads(now: Date, limit: number): Promise<UploadRecord[]> {
    return expiredUploads(this.ctx, now, limit);
  }

  referencedChunks(chunkIds: readonly string[]): Promise<Set<string>> {
    return referencedChunks(this.ctx, chunkIds);
  }

  liveFilesOfChunks(chunkIds: readonly string[]): Promise<Map<string, FileRecord>> {
    return liveFilesOfChunks(this.ctx, chunkIds, (path) => this.getFile(path));
  }

  // ---- membership ----

  async putNode(node: Omit<NodeRecord, 'version'>): Promise<NodeRecord> {
    return retryCas(`registration of node ${node.nodeId}`, async () => {
      const counter = await this.kv.get(keys.membershipVersion());
      const record: NodeRecord = { ...node, version: (counter ? toNumber(counter.value.toString('utf8')) : 0) + 1 };
      const res = await this.kv.txn(
        [this.kv.modIs(keys.membershipVersion(), counter?.mod ?? 0)],
        [this.kv.put(keys.membershipVersion(), String(record.version)), this.kv.put(keys.node(node.nodeId), encodeNode(record))],
      );
      return res.succeeded ? record : undefined;
    });
  }

  async getNode(nodeId: string): Promise<NodeRecord | undefined> {
    const kv = await this.kv.get(keys.node(nodeId));
    return kv && decodeNode(kv.value);
  }

  async listNodes(): Promise<NodeRecord[]> {
    const nodes: NodeRecord[] = [];
    for await (const kv of this.kv.scan(keys.nodes())) nodes.push(decodeNode(kv.value));
    return nodes;
  }

  async nodesChangedSince(sinceVersion: number): Promise<{ nodes: NodeRecord[]; version: number; full: boolean }> {
    // Counter and records from one transaction, so `version` covers exactly the records returned.
    const res = await this.kv.txn([], [this.kv.getOp(keys.membershipVersion()), { request_range: this.kv.rangeRequest(keys.nodes(), {}) }]);
    const counter = res.responses[0]!.response_range.kvs[0];
    const version = counter ? toNumber(counter.value.toString('utf8')) : 0;
    const all = res.responses[1]!.response_range.kvs.map((kv) => decodeNode(kv.value));
    // Records are never dropped, so history is complete unless the caller is ahead of this store (a reset): then resync.
    if (sinceVersion > version) return { nodes: all, version, full: true };
    return { nodes: all.filter((n) => n.version > sinceVersion), version, full: false };
  }

  // ---- garbage collection queue ----

  async peekGc(limit: number, after?: string): Promise<GcEntry[]> {
    const out: GcEntry[] = [];
    // A gcId is its key, plus "#fileId" for one of the files a key queues.
    const afterKey = after?.split('#')[0];
    for await (const kv of this.kv.scan(keys.gcAll(), { pageSize: Math.min(1000, Math.max(1, limit)), from: afterKey })) {
      let entries = expandGc(kv.key, kv.value);
      if (kv.key === afterKey) {
        const i = entries.findIndex((e) => e.gcId === after);
        // `after` itself acked meanwhile: its key's other entries again (at least once).
        entries = i >= 0 ? entries.slice(i + 1) : after === afterKey ? [] : entries;
      }
      out.push(...entries);
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  }

  async ackGc(gcIds: string[]): Promise<void> {
    const byKey = new Map<string, Set<string>>();
    for (const id of gcIds) {
      const hash = id.indexOf('#');
      const key = hash < 0 ? id : id.slice(0, hash);
      if (!key.startsWith(keys.gcAll())) continue;
      const set = byKey.get(key) ?? new Set<string>();
      if (hash >= 0) set.add(id.slice(hash + 1));
      byKey.set(key, set);
    }
    for (const [key, fileIds] of byKey) {
      await retryCas(`GC acknowledgement of ${key}`, async () => {
        const kv = await this.kv.get(key);
        if (!kv) return true;
        const entry = JSON.parse(kv.value.toString('utf8')) as StoredGc;
        const rest = entry.kind === 'files' ? entry.fileIds.filter((id) => !fileIds.has(id)) : [];
        const op = rest.length === 0 ? this.kv.del(key) : this.kv.put(key, encodeGc({ ...entry, fileIds: rest } as StoredGc));
        return (await this.kv.txn([this.kv.modIs(key, kv.mod)], [op])).succeeded ? true : undefined;
      });
    }
  }

  async purgeFile(fileId: string): Promise<void> {
    const meta = await this.kv.get(keys.fileMeta(fileId));
    if (meta) {
      // Renames keep the record's path current, so a live file is found where its record says.
      const { path } = decodeFile(meta.value);
      const live = await this.getFile(path);
      if (live?.fileId === fileId) {
        throw new DfsError(Code.FailedPrecondition, `file ${fileId} is live at ${path}: only a deleted or replaced file is purged; delete it first`);
      }
    }
    await discardChunkList(this.ctx, fileId);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  // ---- helpers ----

  /** Finishes tree deletes and renames that a crashed coordinator left half done (at open). */
  resumeTreeJobs(): Promise<void> {
    return resumeTreeJobs(this.ctx);
  }

  /**
   * A lease that lives at least until `lastsUntil` (ms), shared by the
   * uploads created over a few minutes: one grant instead of one per upload,
   * and no revoke when an upload ends (its keys are deleted by then). The
   * lease is only a backstop for sessions nobody swept, and a placement's
   * keep-alive extends it for all of them, which a backstop can afford.
   */
  private uploadLease(lastsUntil: number): Promise<string> {
    if (!this.uploads || this.uploads.lastsUntil < lastsUntil) {
      // Room for the uploads of the next few minutes too, but never more
      // than the grace again: a session nobody swept still goes in time.
      const until = lastsUntil + Math.min(UPLOAD_LEASE_SHARE_MS, this.graceSeconds * 1000);
      const leaseId = this.kv.grantLease((until - Date.now()) / 1000);
      const current = { leaseId, lastsUntil: until };
      this.uploads = current;
      leaseId.catch(() => {
        if (this.uploads === current) this.uploads = undefined;
      });
    }
    return this.uploads.leaseId;
  }

  /** One lease for all committed-upload markers granted within an hour: each lives between committedTtl and committedTtl + 1 h. */
  private committedLease(): Promise<string> {
    const now = Date.now();
    if (!this.committed || now - this.committed.grantedAt > 3600_000) {
      const leaseId = this.kv.grantLease(this.committedTtl + 3600);
      this.committed = { leaseId, grantedAt: now };
      leaseId.catch(() => (this.committed = undefined));
    }
    return this.committed.leaseId;
  }
}

/** Connects to etcd and checks that it answers; Unavailable (naming the endpoints) when it does not. */
export async function openEtcdMetadataStore(options: EtcdMetadataStoreOptions): Promise<EtcdMetadataStore> {
  if (options.endpoints.length === 0) {
    throw new DfsError(Code.InvalidArgument, 'no etcd endpoints given: set ETCD_ENDPOINTS, e.g. http://127.0.0.1:2379');
  }
  const client = new Etcd3({ hosts: options.endpoints, dialTimeout: 5000 });
  const store = new EtcdMetadataStore(client, options);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      store.getNode('\0probe'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
        options.signal?.addEventListener('abort', () => reject(new DfsError(Code.Canceled, 'opening the etcd metadata store was canceled')), { once: true });
      }),
    ]);
    // Outside the 10 s probe limit: finishing a big job takes as long as it takes.
    await store.resumeTreeJobs();
    return store;
  } catch (err) {
    client.close();
    if (err instanceof DfsError && err.code === Code.Canceled) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new DfsError(Code.Unavailable, `cannot reach etcd at ${options.endpoints.join(', ')} (${message}): start etcd or fix ETCD_ENDPOINTS`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
