// Upload sessions in etcd. The header (u/<id>) and each placement
// (w/<id>/<index>) are separate keys on an upload lease, so an upload of
// 200,000 chunks fits like the file it becomes. Every change rewrites the
// header, whose mod revision is the compare-and-swap guard for the whole
// session. The lease is a backstop only (see uploadLeaseGraceSeconds).
import { Code, DfsError } from '@dfs/proto';
import type { IRequestOp } from 'etcd3';
import type { Placement, UploadRecord } from '../metadata-store.js';
import { decodeUpload, encodeGc, encodeUpload } from './etcd-codec.js';
import { gcSuffix, retryCas, runLimited, type EtcdContext } from './etcd-context.js';
import { keys } from './etcd-keys.js';
import { toNumber, type Kv } from './etcd-kv.js';

/** Chunk ids per stored GC entry (~35 bytes each). */
const GC_CHUNKS_PER_ENTRY = 10_000;

export interface StoredSession {
  upload: UploadRecord;
  leaseId: string;
  /** Mod revision of the header: the guard of every change to the session. */
  mod: number;
}

/** `lease` gives a lease that lives at least until the upload's expiry plus the grace (shared by the uploads of a few minutes). */
export async function createUpload(ctx: EtcdContext, upload: UploadRecord, lease: () => Promise<string>): Promise<void> {
  const { kv } = ctx;
  const exists = await kv.getMany([keys.upload(upload.uploadId), keys.committed(upload.uploadId)]);
  if (exists.some((e) => e !== undefined)) {
    throw new DfsError(Code.AlreadyExists, `upload ${upload.uploadId} already exists or was committed: use a new upload id`);
  }
  const leaseId = await lease();
  // Placements first: without their header they belong to no session, and the lease removes them.
  await writeBatches(ctx, upload.placements.flatMap((p) => placementOps(ctx, upload.uploadId, p, leaseId)));
  const res = await kv.txn(
    [kv.absent(keys.upload(upload.uploadId)), kv.absent(keys.committed(upload.uploadId))],
    [kv.put(keys.upload(upload.uploadId), encodeUpload({ ...upload, placements: [] }, leaseId), leaseId), kv.put(keys.expiry(upload.expiresAt.getTime(), upload.uploadId), '', leaseId)],
  );
  if (!res.succeeded) {
    throw new DfsError(Code.AlreadyExists, `upload ${upload.uploadId} already exists or was committed: use a new upload id`);
  }
}

/** Header and placements, read at one revision. */
export async function readUpload(ctx: EtcdContext, uploadId: string, header?: Kv, revision?: number): Promise<StoredSession | undefined> {
  if (!header) {
    const page = await ctx.kv.txn([], [ctx.kv.getOp(keys.upload(uploadId))]);
    const raw = page.responses[0]!.response_range.kvs[0];
    if (!raw) return undefined;
    header = { key: keys.upload(uploadId), value: raw.value, mod: toNumber(raw.mod_revision) };
    revision = toNumber(page.header.revision);
  }
  const { upload, leaseId } = decodeUpload(header.value);
  for await (const kv of ctx.kv.scan(keys.placements(uploadId), { revision })) upload.placements.push(JSON.parse(kv.value.toString('utf8')) as Placement);
  return { upload, leaseId, mod: header.mod };
}

export async function placeChunks(ctx: EtcdContext, uploadId: string, placements: Placement[], expiresAt: Date): Promise<{ leaseId: string; moved: boolean }> {
  const { kv } = ctx;
  // Each transaction holds the header, the expiry index and a slice of placements (two keys each).
  const slice = Math.max(1, Math.floor((ctx.maxTxnOps - 4) / 2));
  let result = { leaseId: '0', moved: false };
  for (let i = 0; i < Math.max(1, placements.length); i += slice) {
    const part = placements.slice(i, i + slice);
    result = await retryCas(`placement for upload ${uploadId}`, async () => {
      const [headerKv, ...old] = await kv.getMany([keys.upload(uploadId), ...part.map((p) => keys.placement(uploadId, p.index))]);
      if (!headerKv) throw new DfsError(Code.NotFound, `upload ${uploadId} not found (expired, aborted or committed): start a new upload`);
      const { upload, leaseId } = decodeUpload(headerKv.value);
      const abandoned = [...upload.abandonedChunkIds];
      const ops: IRequestOp[] = [];
      part.forEach((p, j) => {
        const before = old[j] ? (JSON.parse(old[j]!.value.toString('utf8')) as Placement) : undefined;
        if (before && before.chunkId !== p.chunkId) abandoned.push(before.chunkId);
        ops.push(...placementOps(ctx, uploadId, p, leaseId));
      });
      const header = encodeUpload({ ...upload, expiresAt, placements: [], abandonedChunkIds: abandoned }, leaseId);
      if (header.length > 1024 * 1024) {
        throw new DfsError(Code.ResourceExhausted, `upload ${uploadId} has abandoned ${abandoned.length} chunks: abort it and start a new upload`);
      }
      ops.push(kv.put(keys.upload(uploadId), header, leaseId));
      // etcd refuses a transaction that deletes and puts the same key.
      if (upload.expiresAt.getTime() !== expiresAt.getTime()) ops.push(kv.del(keys.expiry(upload.expiresAt.getTime(), uploadId)));
      ops.push(kv.put(keys.expiry(expiresAt.getTime(), uploadId), '', leaseId));
      const res = await kv.txn([kv.modIs(keys.upload(uploadId), headerKv.mod)], ops);
      return res.succeeded ? { leaseId, moved: expiresAt.getTime() > upload.expiresAt.getTime() } : undefined;
    });
  }
  return result;
}

export async function abortUpload(ctx: EtcdContext, uploadId: string, reason: 'aborted' | 'expired'): Promise<StoredSession | undefined> {
  const { kv } = ctx;
  const result = await retryCas(`abort of upload ${uploadId}`, async () => {
    const session = await readUpload(ctx, uploadId);
    if (!session) return { session: undefined };
    const { upload } = session;
    // Extended since it was listed: the compare below pins the record read here.
    if (reason === 'expired' && upload.expiresAt.getTime() >= Date.now()) return { session: undefined };
    const chunkIds = [...upload.placements.map((p) => p.chunkId), ...upload.abandonedChunkIds];
    const ops = [...endSessionOps(ctx, upload), ...gcChunkOps(ctx, chunkIds, reason)];
    const res = await kv.txn([kv.modIs(keys.upload(uploadId), session.mod)], ops);
    return res.succeeded ? { session } : undefined;
  });
  // The lease is shared with other uploads (and the keys are gone): it stays.
  return result.session;
}

export async function expiredUploads(ctx: EtcdContext, now: Date, limit: number): Promise<UploadRecord[]> {
  const index = await ctx.kv.between(keys.expiries(), keys.expiriesBefore(now.getTime()), limit);
  const sessions = await Promise.all(index.map((kv) => readUpload(ctx, kv.key.slice(kv.key.lastIndexOf('/') + 1))));
  return sessions.flatMap((s) => (s ? [s.upload] : []));
}

/** A placement and its chunk's owner key (which stays when the index is re-placed: the abandoned chunk is still the upload's). */
function placementOps(ctx: EtcdContext, uploadId: string, p: Placement, leaseId: string): IRequestOp[] {
  return [
    ctx.kv.put(keys.placement(uploadId, p.index), JSON.stringify({ index: p.index, chunkId: p.chunkId, nodeIds: [...p.nodeIds] }), leaseId),
    ctx.kv.put(keys.uploadChunkOwner(p.chunkId), uploadId, leaseId),
  ];
}

/** Deletes a session's keys (header, expiry index, placements). */
export function endSessionOps(ctx: EtcdContext, upload: UploadRecord): IRequestOp[] {
  return [ctx.kv.del(keys.upload(upload.uploadId)), ctx.kv.del(keys.expiry(upload.expiresAt.getTime(), upload.uploadId)), ctx.kv.delPrefix(keys.placements(upload.uploadId))];
}

/** GC entries for chunk ids, split so no value nears etcd's size limit. */
export function gcChunkOps(ctx: EtcdContext, chunkIds: string[], reason: 'aborted' | 'expired' | 'replaced-placement'): IRequestOp[] {
  const now = Date.now();
  const ops: IRequestOp[] = [];
  for (let i = 0; i < chunkIds.length; i += GC_CHUNKS_PER_ENTRY) {
    const entry = encodeGc({ kind: 'chunks', chunkIds: chunkIds.slice(i, i + GC_CHUNKS_PER_ENTRY), reason, enqueuedAt: now });
    ops.push(ctx.kv.put(keys.gc(now, gcSuffix()), entry));
  }
  return ops;
}

async function writeBatches(ctx: EtcdContext, ops: IRequestOp[]): Promise<void> {
  const tasks: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < ops.length; i += ctx.maxTxnOps) {
    const slice = ops.slice(i, i + ctx.maxTxnOps);
    tasks.push(() => ctx.kv.txn([], slice));
  }
  await runLimited(tasks, 8);
}
