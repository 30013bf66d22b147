// Tree deletes and renames in etcd, in batches.
//
// etcd caps a transaction at 128 operations and ~1.5 MiB, so a tree of
// 100,000 files cannot change in one. A tree operation is therefore a job:
// ONE transaction starts it, and that is the moment it happens for everyone:
// it puts a running-job record on the fence keys of the source (and of the
// target). Batches then move or delete the files' keys, and a last
// transaction removes the record. While the record exists:
// - getFile resolves through it: below the source there is nothing; below a
//   rename's target, the file is wherever its key is at that revision;
// - listings that overlap it, and commits, deletes and renames that touch
//   it, help finish the job first (and compare its fence keys absent), so
//   nobody sees or writes into half a tree;
// - any coordinator can run the batches (each is a compare-and-swap on the
//   keys it changes), so a job whose coordinator died is finished by whoever
//   touches it next, or when a store opens.
// Before the start, the operation holds a "preparing" fence on a short lease:
// commits below it wait rather than move the directory marker that the start
// compares, so a busy directory cannot starve a tree operation. A preparing
// fence whose holder died disappears with its lease.
import { randomBytes } from 'node:crypto';
import { ancestorsOf, isSameOrBelow, parentPath } from '@dfs/proto';
import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import type { FileRecord } from '../metadata-store.js';
import { decodeFile, encodeFile, encodeGc } from './etcd-codec.js';
import { gcSuffix, type EtcdContext } from './etcd-context.js';
import { DIR_MARKER, keys } from './etcd-keys.js';
import { toNumber, type Kv } from './etcd-kv.js';

export interface TreeJob {
  id: string;
  kind: 'delete' | 'rename';
  from: string;
  /** A rename's target. */
  to?: string;
}

type FenceValue = { state: 'preparing'; token: string } | ({ state: 'running' } & TreeJob);

/** Ids per stored GC entry: ~35 bytes each keeps one value far below etcd's limit. */
const GC_FILES_PER_ENTRY = 10_000;
/** Files a delete batch reads (~350 B each) and removes with one range delete. */
const DELETE_BATCH = 5000;
const TXN_BYTES = 1024 * 1024;
/** Files a rename batch reads; they are moved by several transactions at once (~38 files each). */
const MOVE_PAGE = 1000;
const PREPARING_TTL_SECONDS = 5;

export function decodeFence(value: Buffer): FenceValue {
  return JSON.parse(value.toString('utf8')) as FenceValue;
}

function encodeJob(job: TreeJob): string {
  return JSON.stringify({ state: 'running', ...job });
}

export function newJob(kind: TreeJob['kind'], from: string, to?: string): TreeJob {
  return { id: randomBytes(8).toString('hex'), kind, from, ...(to === undefined ? {} : { to }) };
}

/** The fence keys a change to `paths` must find absent: each path's ancestors and itself, and the jobs below it. */
export function fenceReads(ctx: EtcdContext, paths: string[]): IRequestOp[] {
  const { kv } = ctx;
  return [
    ...fencedDirs(paths).map((d) => kv.getOp(keys.fence(d))),
    ...paths.map((p) => ({ request_range: kv.rangeRequest(keys.fencesBelow(p), { limit: 1 }) })),
  ];
}

/** Compares matching fenceReads (same paths); `own` is a fence the caller holds itself. */
export function fenceCompares(ctx: EtcdContext, paths: string[], own?: PreparingFence): ICompare[] {
  const { kv } = ctx;
  return [
    ...fencedDirs(paths).map((d) => (own?.dir === d ? kv.modIs(keys.fence(d), own.mod) : kv.absent(keys.fence(d)))),
    ...paths.map((p) => kv.noneUnder(keys.fencesBelow(p))),
  ];
}

export function fenceReadCount(paths: string[]): number {
  return fencedDirs(paths).length + paths.length;
}

function fencedDirs(paths: string[]): string[] {
  return [...new Set(paths.flatMap(fencedDirsOf))];
}

/** The directories whose fence covers `path`: the root, its ancestors and itself. */
export function fencedDirsOf(path: string): string[] {
  return ['/', ...ancestorsOf(path), path];
}

/**
 * Deals with the fences a read found: helps running jobs finish, and reports
 * a foreign preparing fence. True when none was there (the caller's view is
 * clear); false when the caller must read again.
 */
export async function clearOfJobs(ctx: EtcdContext, fences: (IKeyValue | undefined)[], own?: PreparingFence): Promise<boolean> {
  let clear = true;
  for (const kv of fences) {
    if (!kv) continue;
    const fence = decodeFence(kv.value);
    if (fence.state === 'preparing') {
      if (fence.token !== own?.token) clear = false;
      continue;
    }
    clear = false;
    await runTreeJob(ctx, fence);
  }
  return clear;
}

/** The running job among fences read for one path (jobs never nest, so at most one covers it). */
export function runningJob(fences: (IKeyValue | undefined)[]): TreeJob | undefined {
  for (const kv of fences) {
    if (!kv) continue;
    const fence = decodeFence(kv.value);
    if (fence.state === 'running') return fence;
  }
  return undefined;
}

/** The preparing fence of a tree operation (see the top of this file). */
export class PreparingFence {
  private leaseId: string | undefined;
  readonly token = randomBytes(8).toString('hex');
  mod = 0;

  constructor(
    private readonly ctx: EtcdContext,
    readonly dir: string,
  ) {}

  get held(): boolean {
    return this.leaseId !== undefined;
  }

  /** Puts the fence unless another one is there; false when it is (help or wait, then retry). */
  async hold(): Promise<boolean> {
    if (this.leaseId) return true;
    const { kv } = this.ctx;
    const leaseId = await kv.grantLease(PREPARING_TTL_SECONDS);
    const key = keys.fence(this.dir);
    const value = JSON.stringify({ state: 'preparing', token: this.token } satisfies FenceValue);
    const res = await kv.txn([kv.absent(key)], [kv.put(key, value, leaseId)]);
    if (!res.succeeded) {
      await kv.revokeLease(leaseId);
      return false;
    }
    this.leaseId = leaseId;
    this.mod = toNumber(res.header.revision);
    return true;
  }

  /** Revoking the lease deletes the fence key, unless the start transaction replaced it with a job (no lease). */
  async release(): Promise<void> {
    const leaseId = this.leaseId;
    this.leaseId = undefined;
    await this.ctx.kv.revokeLease(leaseId);
  }
}

/** The writes that start a job: its record on the fence of the source and the target. */
export function startJobOps(ctx: EtcdContext, job: TreeJob): IRequestOp[] {
  const value = encodeJob(job);
  return [ctx.kv.put(keys.fence(job.from), value), ...(job.to ? [ctx.kv.put(keys.fence(job.to), value)] : [])];
}

/** Runs a job's batches to the end; concurrent callers in one process share one run. */
export function runTreeJob(ctx: EtcdContext, job: TreeJob): Promise<void> {
  let run = ctx.treeJobs.get(job.id);
  if (!run) {
    run = driveJob(ctx, job).finally(() => ctx.treeJobs.delete(job.id));
    ctx.treeJobs.set(job.id, run);
  }
  return run;
}

/** Finishes the jobs that coordinators left running (they crashed mid-way). */
export async function resumeTreeJobs(ctx: EtcdContext): Promise<void> {
  const jobs = new Map<string, TreeJob>();
  const root = await ctx.kv.get(keys.fence('/'));
  const found = ctx.kv.scan(keys.fencesBelow('/'));
  for await (const kv of root ? prepend(root, found) : found) {
    const fence = decodeFence(kv.value);
    if (fence.state === 'running') jobs.set(fence.id, fence);
  }
  for (const job of jobs.values()) await runTreeJob(ctx, job);
}

async function driveJob(ctx: EtcdContext, job: TreeJob): Promise<void> {
  const { kv } = ctx;
  for (let batch = 0; ; batch++) {
    await ctx.beforeTreeBatch?.(job, batch);
    const fence = await kv.get(keys.fence(job.from));
    if (!fence || decodeFence(fence.value).state !== 'running' || (decodeFence(fence.value) as TreeJob).id !== job.id) return; // done by someone else
    const page = await kv.range(keys.filesBelow(job.from), { limit: job.kind === 'delete' ? DELETE_BATCH : MOVE_PAGE });
    if (page.kvs.length === 0) {
      if (await finishJob(ctx, job, fence.mod)) await removeEmptyDirs(ctx, parentPath(job.from));
      continue; // whoever finished it, the fence is gone on the next read
    }
    const done = job.kind === 'delete' ? await deleteBatch(ctx, job, fence.mod, page.kvs) : await moveBatch(ctx, job, fence.mod, page.kvs);
    // Another helper changed these keys first: read again after a pause.
    if (!done) await new Promise((r) => setTimeout(r, Math.random() * 20));
  }
}

async function deleteBatch(ctx: EtcdContext, job: TreeJob, fenceMod: number, files: Kv[]): Promise<boolean> {
  const { kv } = ctx;
  const first = files[0]!;
  const last = files[files.length - 1]!;
  const ids = files.map((f) => decodeFile(f.value).fileId);
  const now = Date.now();
  const ops: IRequestOp[] = [kv.delBetween(first.key, last.key + '\0')];
  for (let i = 0; i < ids.length; i += GC_FILES_PER_ENTRY) {
    ops.push(kv.put(keys.gc(now, gcSuffix()), encodeGc({ kind: 'files', fileIds: ids.slice(i, i + GC_FILES_PER_ENTRY), reason: 'deleted', enqueuedAt: now })));
  }
  // Nothing new lands in the range while the job runs, so its ends unchanged mean the whole page is.
  const res = await kv.txn([kv.modIs(keys.fence(job.from), fenceMod), kv.modIs(first.key, first.mod), kv.modIs(last.key, last.mod)], ops);
  return res.succeeded;
}

/**
 * Moves a page of files in transactions that each fit etcd's limits, run at
 * once: their key ranges are disjoint, so they never conflict with each
 * other, and etcd commits concurrent transactions together.
 */
async function moveBatch(ctx: EtcdContext, job: TreeJob, fenceMod: number, files: Kv[]): Promise<boolean> {
  const txns: { compares: ICompare[]; ops: IRequestOp[] }[] = [];
  for (let start = 0; start < files.length; ) {
    const { compares, ops, taken } = moveTxn(ctx, job, fenceMod, files.slice(start));
    txns.push({ compares, ops });
    start += taken;
  }
  const results = await Promise.all(txns.map((t) => ctx.kv.txn(t.compares, t.ops)));
  return results.every((r) => r.succeeded);
}

/** One transaction's worth of moves from the front of `files`. */
function moveTxn(ctx: EtcdContext, job: TreeJob, fenceMod: number, files: Kv[]): { compares: ICompare[]; ops: IRequestOp[]; taken: number } {
  const { kv } = ctx;
  const puts = new Map<string, string>();
  const compares: ICompare[] = [kv.modIs(keys.fence(job.from), fenceMod)];
  let bytes = 0;
  let taken = 0;
  for (const f of files) {
    const record = decodeFile(f.value);
    const moved: FileRecord = { ...record, path: job.to! + record.path.slice(job.from.length) };
    const value = encodeFile(moved);
    const writes = new Map<string, string>([
      [keys.file(moved.path), value],
      [keys.child(moved.path), value],
      // The record at commit follows the file, so purgeFile and commit retries know where it lives.
      [keys.fileMeta(moved.fileId), value],
    ]);
    for (const a of ancestorsOf(moved.path)) if (!puts.has(keys.marker(a))) writes.set(keys.marker(a), DIR_MARKER);
    // One op is the range delete of the old keys.
    if (taken > 0 && (puts.size + writes.size + 1 > ctx.maxTxnOps || compares.length + 1 > ctx.maxTxnOps || bytes + 3 * value.length > TXN_BYTES)) break;
    for (const [k, v] of writes) puts.set(k, v);
    compares.push(kv.modIs(f.key, f.mod));
    bytes += 3 * value.length;
    taken++;
  }
  const ops = [kv.delBetween(files[0]!.key, files[taken - 1]!.key + '\0'), ...[...puts].map(([k, v]) => kv.put(k, v))];
  return { compares, ops, taken };
}

/** Drops the source's directory index and the job's fences once no file is left below the source. */
async function finishJob(ctx: EtcdContext, job: TreeJob, fenceMod: number): Promise<boolean> {
  const { kv } = ctx;
  const ops: IRequestOp[] = [kv.delPrefix(keys.deeperChildren(job.from)), kv.del(keys.fence(job.from))];
  if (job.from !== '/') ops.push(kv.delPrefix(keys.children(job.from)), kv.del(keys.marker(job.from)));
  if (job.to) ops.push(kv.del(keys.fence(job.to)));
  ops.push(...touchAncestors(ctx, job.from, ...(job.to ? [job.to] : [])));
  const res = await kv.txn([kv.modIs(keys.fence(job.from), fenceMod), kv.noneUnder(keys.filesBelow(job.from))], ops);
  return res.succeeded;
}

/** Puts the marker of every ancestor of the paths (and the root), once each, so their mod revisions record a change below. */
export function touchAncestors(ctx: EtcdContext, ...paths: string[]): IRequestOp[] {
  const dirs = new Set(['/', ...paths.flatMap((p) => ancestorsOf(p))]);
  return [...dirs].map((a) => ctx.kv.put(keys.marker(a), DIR_MARKER));
}

/**
 * Removes the markers of directories left empty, bottom up, each only if it
 * still has no children at that moment (a concurrent commit that writes below
 * it wins and keeps it). Runs after the change that emptied them; a crash in
 * between leaves an empty directory listed, never a wrong file.
 */
export async function removeEmptyDirs(ctx: EtcdContext, dir: string): Promise<void> {
  const { kv } = ctx;
  for (let d = dir; d !== '/'; d = parentPath(d)) {
    const res = await kv.txn([kv.noneUnder(keys.children(d)), kv.noneUnder(keys.deeperChildren(d))], [kv.del(keys.marker(d))]);
    if (!res.succeeded) return;
  }
}

/** Where a path's file lives while `job` runs: nowhere below its source, at the new or the old key below its target. */
export function jobHides(job: TreeJob, path: string): boolean {
  return job.kind === 'delete' || isSameOrBelow(path, job.from);
}

export function overlaps(job: TreeJob, dir: string): boolean {
  return [job.from, ...(job.to ? [job.to] : [])].some((p) => isSameOrBelow(p, dir) || isSameOrBelow(dir, p));
}

async function* prepend<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first;
  yield* rest;
}
