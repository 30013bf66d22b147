// Batched chunk lookups on etcd (referencedChunks, liveFilesOfChunks). Each
// round of reads (owner keys, then the owners' records, then their files)
// goes out for thousands of ids at once, as multi-get transactions of up to
// maxTxnOps gets, a few in flight, instead of several round trips per id.
import type { IKeyValue, IRequestOp } from 'etcd3';
import type { FileRecord } from '../metadata-store.js';
import { decodeFile } from './etcd-codec.js';
import { runLimited, type EtcdContext } from './etcd-context.js';
import { keys } from './etcd-keys.js';
import { fencedDirsOf, runningJob } from './etcd-tree-job.js';

/** Multi-get transactions in flight at once. */
const TXNS_IN_FLIGHT = 8;

/** Reads every key, in transactions of at most maxTxnOps gets; the values of the keys that exist, as UTF-8. */
async function getEach(ctx: EtcdContext, keyList: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Set(keyList)];
  const step = Math.max(1, ctx.maxTxnOps);
  const tasks: (() => Promise<void>)[] = [];
  for (let i = 0; i < unique.length; i += step) {
    const part = unique.slice(i, i + step);
    tasks.push(async () => {
      const kvs = await ctx.kv.getMany(part);
      kvs.forEach((kv, j) => kv && found.set(part[j]!, kv.value.toString('utf8')));
    });
  }
  await runLimited(tasks, TXNS_IN_FLIGHT);
  return found;
}

/** The ids owned by a file whose record still exists (live or GC-pending), or placed (or abandoned) by an open upload. */
export async function referencedChunks(ctx: EtcdContext, chunkIds: readonly string[]): Promise<Set<string>> {
  const ids = [...new Set(chunkIds)];
  // The owner key may be left over from a commit that lost; only a file that exists (live or GC-pending) counts.
  const metas = await ownerMetas(ctx, ids);
  const referenced = new Set(ids.filter((id) => metas.has(id)));
  // An upload's owner keys hang on its lease, so they outlive the session until the lease goes (a commit
  // or an abort revokes it at once): only an owner whose header still exists counts.
  const rest = ids.filter((id) => !referenced.has(id));
  const uploadOwners = await getEach(ctx, rest.map(keys.uploadChunkOwner));
  const uploads = await getEach(ctx, [...uploadOwners.values()].map(keys.upload));
  for (const id of rest) {
    const uploadId = uploadOwners.get(keys.uploadChunkOwner(id));
    if (uploadId !== undefined && uploads.has(keys.upload(uploadId))) referenced.add(id);
  }
  return referenced;
}

/**
 * The visible file of each id that has one: the owner's record at commit names the
 * path (renames keep it current), and the file is live exactly when that
 * path still holds this version. `getFile` answers for paths under a
 * running tree job (the store's own getFile, which knows how to read them).
 */
export async function liveFilesOfChunks(
  ctx: EtcdContext,
  chunkIds: readonly string[],
  getFile: (path: string) => Promise<FileRecord | undefined>,
): Promise<Map<string, FileRecord>> {
  const metas = await ownerMetas(ctx, [...new Set(chunkIds)]);
  // Decoded once per record: a file's chunks all share its owner's.
  const recorded = new Map([...new Set(metas.values())].map((value) => [value, decodeFile(value)]));
  const live = await liveFiles(ctx, [...new Set([...recorded.values()].map((f) => f.path))], getFile);
  const found = new Map<string, FileRecord>();
  for (const [id, value] of metas) {
    const record = recorded.get(value)!;
    const file = live.get(record.path);
    if (file && file.fileId === record.fileId) found.set(id, file);
  }
  return found;
}

/** The record of each id's owning file, as stored (its meta value), for the ids whose owner key and record both exist. */
async function ownerMetas(ctx: EtcdContext, ids: readonly string[]): Promise<Map<string, string>> {
  const owners = await getEach(ctx, ids.map(keys.chunkOwner));
  const metas = await getEach(ctx, [...owners.values()].map(keys.fileMeta));
  const found = new Map<string, string>();
  for (const id of ids) {
    const owner = owners.get(keys.chunkOwner(id));
    const meta = owner === undefined ? undefined : metas.get(keys.fileMeta(owner));
    if (meta !== undefined) found.set(id, meta);
  }
  return found;
}

/**
 * The visible file at each path, read as getFile reads one: the file's key
 * and the fences of its ancestors in one transaction, several paths to a
 * transaction (fences they share read once). A path under a running tree
 * job goes to `getFile`.
 */
async function liveFiles(ctx: EtcdContext, paths: readonly string[], getFile: (path: string) => Promise<FileRecord | undefined>): Promise<Map<string, FileRecord | undefined>> {
  const result = new Map<string, FileRecord | undefined>();
  const slow: string[] = [];
  /** Per transaction: its gets, where each path's file get is, and where each fence's get is. */
  const txns: { fileAt: Map<string, number>; ops: IRequestOp[]; fenceAt: Map<string, number> }[] = [];
  /** Each batched path's fenced directories, computed once. */
  const dirsOf = new Map<string, string[]>();
  let txn: (typeof txns)[number] | undefined;
  for (const path of paths) {
    const fences = fencedDirsOf(path);
    // More gets than one transaction takes: getFile fails alike, let it say so.
    if (fences.length + 1 > ctx.maxTxnOps) {
      slow.push(path);
      continue;
    }
    const added = 1 + fences.filter((d) => !txn?.fenceAt.has(d)).length;
    if (!txn || txn.ops.length + added > ctx.maxTxnOps) txns.push((txn = { fileAt: new Map(), ops: [], fenceAt: new Map() }));
    const t = txn;
    dirsOf.set(path, fences);
    t.fileAt.set(path, t.ops.length);
    t.ops.push(ctx.kv.getOp(keys.file(path)));
    for (const d of fences) {
      if (t.fenceAt.has(d)) continue;
      t.fenceAt.set(d, t.ops.length);
      t.ops.push(ctx.kv.getOp(keys.fence(d)));
    }
  }
  await runLimited(
    txns.map((t) => async () => {
      const res = await ctx.kv.txn([], t.ops);
      const kvs: (IKeyValue | undefined)[] = res.responses.map((r) => r.response_range.kvs[0]);
      for (const [path, at] of t.fileAt) {
        const fileKv = kvs[at];
        const fences = dirsOf.get(path)!.map((d) => kvs[t.fenceAt.get(d)!]);
        if (runningJob(fences)) slow.push(path);
        else result.set(path, fileKv && decodeFile(fileKv.value));
      }
    }),
    TXNS_IN_FLIGHT,
  );
  await runLimited(
    slow.map((path) => async () => void result.set(path, await getFile(path))),
    TXNS_IN_FLIGHT,
  );
  return result;
}
