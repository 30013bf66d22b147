// Committing a file to etcd. A chunk list may be far larger than one etcd
// value (~1.5 MiB) or transaction (128 ops), so big lists are written first,
// under the new fileId where nothing points at them yet, and the file becomes
// visible with ONE compare-and-swap transaction on its path key that also
// removes the upload and queues the replaced version for GC.
import { randomBytes } from 'node:crypto';
import { Code, DfsError, ancestorsOf } from '@dfs/proto';
import type { ChunkRef, CommitInput, CommitResult, FileRecord } from '../metadata-store.js';
import { decodeChunks, decodeFile, encodeChunks, encodeFile, encodeGc } from './etcd-codec.js';
import { gcSuffix, retryCas, runLimited, type EtcdContext } from './etcd-context.js';
import type { IRequestOp } from 'etcd3';
import { CHUNK_BATCH, DIR_MARKER, keys } from './etcd-keys.js';
import { toNumber } from './etcd-kv.js';
import { clearOfJobs, fenceCompares, fenceReads } from './etcd-tree-job.js';
import { endSessionOps, gcChunkOps, readUpload } from './etcd-uploads.js';
import { committedThenPurgedError, uploadNotFoundError } from '../metadata-errors.js';

/** Chunk lists up to this size go into the commit transaction itself (one round trip). */
const INLINE_CHUNKS = 24;
const WRITE_CONCURRENCY = 8;
const TXN_BYTES = 1024 * 1024;

export async function commitFile(ctx: EtcdContext, input: CommitInput): Promise<CommitResult> {
  const { kv } = ctx;
  checkChunks(input.chunks);
  const ancestors = ancestorsOf(input.path);
  checkDepth(ctx, input.path, ancestors.length);

  const inline = input.chunks.length <= INLINE_CHUNKS;
  if (!inline) {
    // Before writing a big chunk list for nothing (small commits find out in their first read).
    const done = await kv.get(keys.committed(input.uploadId));
    if (done) return alreadyCommitted(ctx, done.value.toString('utf8'), input.uploadId);
  }

  const fileId = randomBytes(16).toString('hex');
  const file: FileRecord = {
    path: input.path,
    fileId,
    size: input.size,
    sha256: input.sha256,
    chunkSize: input.chunkSize,
    replication: input.replication,
    chunkCount: input.chunks.length,
    createdAt: new Date(),
  };
  const chunkOps = chunkListOps(ctx, fileId, input.chunks);
  if (!inline) await writeOps(ctx, chunkOps);

  // Whether our pre-written chunk list is in use (or handled): otherwise it is discarded below.
  let settled = false;
  // What the last attempt would commit: etcd3 re-sends a transaction whose reply was
  // lost, and the re-sent one then finds our own commit (see `winner` below).
  let attempted: { file: FileRecord; replaced?: FileRecord; upload: SentUpload } | undefined;
  try {
    const reads: IRequestOp[] = [
      kv.getOp(keys.file(input.path)),
      kv.getOp(keys.upload(input.uploadId)),
      kv.getOp(keys.committed(input.uploadId)),
      { request_range: kv.rangeRequest(keys.filesBelow(input.path), { limit: 1, keysOnly: true }) },
      ...ancestors.map((a) => kv.getOp(keys.file(a))),
      ...fenceReads(ctx, [input.path]),
    ];
    // A failed swap returns fresh reads for the next attempt.
    let observed = (await kv.txn([], reads)).responses.map((r) => r.response_range.kvs[0]);
    const result = await retryCas(`commit of ${input.path}`, async () => {
      const [existingKv, uploadKv, doneKv, belowKv, ...rest] = observed;
      const ancestorKvs = rest.slice(0, ancestors.length);
      if (doneKv) return { winner: doneKv.value.toString('utf8') };
      // Aborted or expired (its chunks are queued for deletion): the swap below
      // compares the upload's revision, so this holds at the commit itself.
      if (!uploadKv) throw uploadNotFoundError(input.uploadId);
      if (!(await clearOfJobs(ctx, rest.slice(ancestors.length)))) {
        // A tree delete or rename touches this path: it has been helped to its end (or is about to start); read again.
        observed = (await kv.txn([], reads)).responses.map((r) => r.response_range.kvs[0]);
        return undefined;
      }
      const fileAbove = ancestors.find((_, i) => ancestorKvs[i] !== undefined);
      if (fileAbove) {
        throw new DfsError(Code.FailedPrecondition, `cannot commit ${input.path}: ${fileAbove} is a file, not a directory; delete or rename it first`);
      }
      if (belowKv) {
        throw new DfsError(Code.FailedPrecondition, `cannot commit ${input.path}: it is a directory with files below it; choose another path or delete the directory first`);
      }
      const replaced = existingKv ? decodeFile(existingKv.value) : undefined;
      if (replaced && !input.overwrite) {
        throw new DfsError(Code.AlreadyExists, `${input.path} already exists (file ${replaced.fileId}): commit with overwrite to replace it`);
      }
      // Placements are read after the header; a change to them moves the header, which the swap compares.
      const stored = (await readUpload(ctx, input.uploadId, { key: '', value: uploadKv.value, mod: toNumber(uploadKv.mod_revision) }))!;
      const ops: IRequestOp[] = [
        kv.put(keys.file(input.path), encodeFile(file)),
        kv.put(keys.child(input.path), encodeFile(file)),
        // Every ancestor's marker is rewritten so its mod revision records the change (see etcd-keys).
        ...ancestors.map((a) => kv.put(keys.marker(a), DIR_MARKER)),
        kv.put(keys.marker('/'), DIR_MARKER),
        kv.put(keys.fileMeta(fileId), encodeFile(file)),
        kv.put(keys.committed(input.uploadId), fileId, await ctx.committedLease()),
        ...(inline ? chunkOps : []),
      ];
      const now = Date.now();
      if (replaced) ops.push(kv.put(keys.gc(now, gcSuffix()), encodeGc({ kind: 'files', fileIds: [replaced.fileId], reason: 'overwritten', enqueuedAt: now })));
      const kept = new Set(input.chunks.map((c) => c.chunkId));
      const unused = [...stored.upload.placements.map((p) => p.chunkId), ...stored.upload.abandonedChunkIds].filter((id) => !kept.has(id));
      ops.push(...endSessionOps(ctx, stored.upload), ...gcChunkOps(ctx, unused, 'replaced-placement'));
      attempted = { file, replaced, upload: { mod: toNumber(uploadKv.mod_revision), value: uploadKv.value, leaseId: stored.leaseId } };
      const res = await kv.txn(
        [
          kv.modIs(keys.file(input.path), existingKv ? toNumber(existingKv.mod_revision) : 0),
          kv.modIs(keys.upload(input.uploadId), toNumber(uploadKv.mod_revision)),
          kv.absent(keys.committed(input.uploadId)),
          kv.noneUnder(keys.filesBelow(input.path)),
          ...ancestors.map((a) => kv.absent(keys.file(a))),
          ...fenceCompares(ctx, [input.path]),
        ],
        ops,
        reads,
      );
      if (!res.succeeded) {
        observed = res.responses.map((r) => r.response_range.kvs[0]);
        return undefined;
      }
      settled = true;
      return { file, replaced };
    });
    if (result.winner === fileId && attempted) {
      // Our own transaction, applied although its reply was lost: the commit is ours.
      settled = true;
      return { file: attempted.file, replaced: attempted.replaced, alreadyCommitted: false };
    }
    if (result.winner !== undefined) {
      // The same upload was committed concurrently (a retry racing its original): drop
      // our copy of the list and point the chunks back at the winner's file.
      settled = true;
      if (!inline) await yieldToWinner(ctx, fileId, result.winner, input.chunks);
      return alreadyCommitted(ctx, result.winner, input.uploadId);
    }
    return { file: result.file, replaced: result.replaced, alreadyCommitted: false };
  } finally {
    if (!settled && !inline) await kv.call(() => cleanUpPreWrite(ctx, fileId, input, attempted?.upload)).catch(() => undefined);
  }
}

/** The upload header a commit transaction compared (and so depends on). */
interface SentUpload {
  mod: number;
  value: Buffer;
  leaseId: string;
}

/**
 * After a commit that failed with its chunk list pre-written under `fileId`.
 * The failure may be ambiguous: a commit transaction sent may have applied
 * with its reply lost, or may still apply (queued in etcd). So it is fenced
 * off first: the upload header, rewritten unchanged, gets a mod revision
 * past the one that transaction compares, and it can no longer apply. Then
 * the committed marker decides: ours, and the list is the file's; another
 * attempt's at the same upload, and the chunks point back at it (our
 * pre-write took their owner keys); none, and the list is discarded. An
 * error here (etcd still unreachable) leaves the list: a leak, never a loss.
 */
async function cleanUpPreWrite(ctx: EtcdContext, fileId: string, input: CommitInput, sent: SentUpload | undefined): Promise<void> {
  const { kv } = ctx;
  if (sent) {
    // Fails when the marker exists (a commit applied) or the header moved (the
    // upload changed or ended): either way no transaction of ours can apply later.
    await kv.txn(
      [kv.absent(keys.committed(input.uploadId)), kv.modIs(keys.upload(input.uploadId), sent.mod)],
      [kv.put(keys.upload(input.uploadId), sent.value, sent.leaseId)],
    );
  }
  const done = await kv.get(keys.committed(input.uploadId));
  const winner = done?.value.toString('utf8');
  if (winner === fileId) return;
  if (winner !== undefined) await yieldToWinner(ctx, fileId, winner, input.chunks);
  else await discardChunkList(ctx, fileId, input.chunks);
}

/** Another commit of the same upload won: drops our pre-written list and points the chunks back at its file. */
async function yieldToWinner(ctx: EtcdContext, fileId: string, winner: string, chunks: ChunkRef[]): Promise<void> {
  await ctx.kv.txn([], [ctx.kv.delPrefix(keys.fileAll(fileId))]);
  await writeOps(ctx, ownerOps(ctx, winner, chunks));
}

/** Yields a file's chunks in index order, a few batch keys per request. */
export async function* readChunks(ctx: EtcdContext, fileId: string, fromIndex = 0): AsyncGenerator<ChunkRef> {
  const start = keys.chunkBatch(fileId, Math.floor(Math.max(0, fromIndex) / CHUNK_BATCH) * CHUNK_BATCH);
  // 4 batches (~130 KB each, more with long node ids) stay well below grpc's 4 MiB response limit.
  for await (const kv of ctx.kv.scan(keys.chunkBatches(fileId), { from: start, pageSize: 4 })) {
    for (const chunk of decodeChunks(kv.value)) if (chunk.index >= fromIndex) yield chunk;
  }
}

/** Drops a file's chunk list and chunk-owner keys (after GC, or for a commit that lost). */
export async function discardChunkList(ctx: EtcdContext, fileId: string, chunks?: ChunkRef[]): Promise<void> {
  const ids: string[] = chunks ? chunks.map((c) => c.chunkId) : [];
  if (!chunks) for await (const c of readChunks(ctx, fileId)) ids.push(c.chunkId);
  await writeOps(ctx, ids.map((id) => ctx.kv.del(keys.chunkOwner(id))));
  await ctx.kv.txn([], [ctx.kv.delPrefix(keys.fileAll(fileId))]);
}

/** The file an upload id was committed as, while its marker and file record last. */
export async function getCommittedUpload(ctx: EtcdContext, uploadId: string): Promise<FileRecord | undefined> {
  const done = await ctx.kv.get(keys.committed(uploadId));
  if (!done) return undefined;
  const meta = await ctx.kv.get(keys.fileMeta(done.value.toString('utf8')));
  return meta ? decodeFile(meta.value) : undefined;
}

async function alreadyCommitted(ctx: EtcdContext, fileId: string, uploadId: string): Promise<CommitResult> {
  const meta = await ctx.kv.get(keys.fileMeta(fileId));
  if (!meta) throw committedThenPurgedError(uploadId, fileId);
  const file = decodeFile(meta.value);
  // The record at commit, with the path it has now if it is still live there or was renamed.
  return { file, alreadyCommitted: true };
}

function chunkListOps(ctx: EtcdContext, fileId: string, chunks: ChunkRef[]): IRequestOp[] {
  const ops: IRequestOp[] = [];
  for (let i = 0; i < chunks.length; i += CHUNK_BATCH) {
    ops.push(ctx.kv.put(keys.chunkBatch(fileId, i), encodeChunks(chunks.slice(i, i + CHUNK_BATCH))));
  }
  return ops.concat(ownerOps(ctx, fileId, chunks));
}

function ownerOps(ctx: EtcdContext, fileId: string, chunks: ChunkRef[]): IRequestOp[] {
  return chunks.map((c) => ctx.kv.put(keys.chunkOwner(c.chunkId), fileId));
}

/**
 * Applies independent writes in transactions of at most maxTxnOps operations
 * and TXN_BYTES bytes (etcd refuses requests over --max-request-bytes, 1.5 MiB
 * by default), a few transactions at a time.
 */
async function writeOps(ctx: EtcdContext, ops: IRequestOp[]): Promise<void> {
  const tasks: (() => Promise<unknown>)[] = [];
  let batch: IRequestOp[] = [];
  let bytes = 0;
  const flush = (): void => {
    const slice = batch;
    if (slice.length > 0) tasks.push(() => ctx.kv.txn([], slice));
    batch = [];
    bytes = 0;
  };
  for (const op of ops) {
    const size = (op.request_put?.key?.length ?? 0) + (op.request_put?.value?.length ?? 0) + (op.request_delete_range?.key?.length ?? 0) + 16;
    if (batch.length >= ctx.maxTxnOps || (batch.length > 0 && bytes + size > TXN_BYTES)) flush();
    batch.push(op);
    bytes += size;
  }
  flush();
  await runLimited(tasks, WRITE_CONCURRENCY);
}

function checkChunks(chunks: ChunkRef[]): void {
  for (let i = 0; i < chunks.length; i++) {
    if (chunks[i]!.index !== i) {
      throw new DfsError(Code.InvalidArgument, `chunk at position ${i} has index ${chunks[i]!.index}: send the chunks in index order 0..${chunks.length - 1}, each once`);
    }
  }
}

/** Most ancestor directories a file may have: a commit's transaction has a fixed part plus two compares and one write per ancestor. */
export function maxAncestors(ctx: EtcdContext): number {
  // Compares: 4 fixed, then for each ancestor "not a file" and "no fence", and 3 fence compares for the root and the path.
  return Math.floor((ctx.maxTxnOps - 8) / 2);
}

export function checkDepth(ctx: EtcdContext, path: string, ancestors: number): void {
  const limit = maxAncestors(ctx);
  if (ancestors > limit) {
    throw new DfsError(Code.InvalidArgument, `${path.slice(0, 80)}… is ${ancestors + 1} directories deep; the etcd backend allows at most ${limit + 1}: use a flatter layout`);
  }
}
