// Deleting and renaming files and trees in etcd.
//
// A tree operation is ONE transaction, so readers see the whole tree before or
// after it, never half of it. It reads the tree at one revision, then commits
// only if the tree's directory marker still has the mod revision it read: every
// change below a directory rewrites that marker (see etcd-keys), so one compare
// stands for the whole subtree. The price is a size limit: a recursive delete
// hides at most `maxTreeDeleteFiles` files (default 20,000, bounded by etcd's
// 1.5 MiB request size), a tree rename moves at most about (maxTxnOps - 10) / 3
// files (39 with etcd's default of 128 ops: moving a file rewrites its path key,
// its child entry and its record at commit). Above that the call fails with FailedPrecondition and says to
// work on subtrees.
//
// So that a busy directory cannot starve a tree operation (every commit below
// it moves the marker), the operation first puts a fence key on the tree (by
// create-if-absent, on a 5 s lease). Commits below a fence wait and retry, so
// only the commits already in flight can still move the marker. The fence is
// only for liveness: correctness rests on the marker compare, and a fence
// whose holder died disappears with its lease.
import { Code, DfsError, ancestorsOf, isSameOrBelow, parentPath } from '@dfs/proto';
import type { IRequestOp } from 'etcd3';
import type { FileRecord } from '../metadata-store.js';
import { checkDepth } from './etcd-commit.js';
import { decodeFile, encodeFile, encodeGc } from './etcd-codec.js';
import { gcSuffix, retryCas, type EtcdContext } from './etcd-context.js';
import { DIR_MARKER, keys } from './etcd-keys.js';
import { toNumber } from './etcd-kv.js';

/** Ids per stored GC entry: ~35 bytes each keeps one value far below etcd's limit. */
const GC_FILES_PER_ENTRY = 10_000;

export async function deletePath(ctx: EtcdContext, path: string, recursive: boolean): Promise<{ filesDeleted: number }> {
  const { kv } = ctx;
  const fence = new Fence(ctx, path);
  const deleted = await retryCas(`delete of ${path}`, async () => {
    const read = await kv.txn([], [kv.getOp(keys.file(path)), kv.getOp(keys.marker(path))]);
    const revision = toNumber(read.header.revision);
    const [fileKv, markerKv] = read.responses.map((r) => r.response_range.kvs[0]);
    const now = Date.now();
    if (fileKv) {
      const file = decodeFile(fileKv.value);
      const res = await kv.txn(
        [kv.modIs(keys.file(path), toNumber(fileKv.mod_revision))],
        [
          kv.del(keys.file(path)),
          kv.del(keys.child(path)),
          ...touchAncestors(ctx, path),
          kv.put(keys.gc(now, gcSuffix()), encodeGc({ kind: 'files', fileIds: [file.fileId], reason: 'deleted', enqueuedAt: now })),
        ],
      );
      return res.succeeded ? 1 : undefined;
    }
    if (markerKv && !(await fence.hold())) return undefined;
    const files = await filesBelow(ctx, path, revision, ctx.maxTreeDeleteFiles);
    if (files.length === 0) throw new DfsError(Code.NotFound, `nothing to delete at ${path}: no file or directory there`);
    if (!recursive) {
      throw new DfsError(Code.FailedPrecondition, `${path} is a directory with files below it: delete it with recursive to remove the whole tree`);
    }
    if (files.length > ctx.maxTreeDeleteFiles) {
      throw new DfsError(
        Code.FailedPrecondition,
        `${path} holds more than ${ctx.maxTreeDeleteFiles} files, more than the etcd backend deletes in one atomic step: delete its subdirectories first`,
      );
    }
    const ops: IRequestOp[] = [kv.delPrefix(keys.filesBelow(path)), kv.delPrefix(keys.deeperChildren(path))];
    if (path !== '/') ops.push(kv.delPrefix(keys.children(path)), kv.del(keys.marker(path)));
    ops.push(...touchAncestors(ctx, path));
    const ids = files.map((f) => f.fileId);
    for (let i = 0; i < ids.length; i += GC_FILES_PER_ENTRY) {
      const entry = encodeGc({ kind: 'files', fileIds: ids.slice(i, i + GC_FILES_PER_ENTRY), reason: 'deleted', enqueuedAt: now });
      ops.push(kv.put(keys.gc(now, gcSuffix()), entry));
    }
    const res = await kv.txn([kv.modIs(keys.marker(path), markerKv ? toNumber(markerKv.mod_revision) : 0)], ops);
    return res.succeeded ? files.length : undefined;
  }).finally(() => fence.release());
  await removeEmptyDirs(ctx, parentPath(path));
  return { filesDeleted: deleted };
}

export async function rename(ctx: EtcdContext, from: string, to: string, overwrite: boolean): Promise<{ filesRenamed: number }> {
  const { kv } = ctx;
  if (from === '/') throw new DfsError(Code.InvalidArgument, 'cannot rename the root directory "/"');
  if (to !== from && isSameOrBelow(to, from)) {
    throw new DfsError(Code.InvalidArgument, `cannot move ${from} into itself (${to}): choose a target outside ${from}`);
  }
  const toAncestors = ancestorsOf(to);
  checkDepth(ctx, to, toAncestors.length);
  const fence = new Fence(ctx, from);
  const moved = await retryCas(`rename of ${from}`, async () => {
    const read = await kv.txn(
      [],
      [
        kv.getOp(keys.file(from)),
        kv.getOp(keys.marker(from)),
        kv.getOp(keys.file(to)),
        { request_range: kv.rangeRequest(keys.filesBelow(to), { limit: 1, keysOnly: true }) },
        ...toAncestors.map((a) => kv.getOp(keys.file(a))),
      ],
    );
    const revision = toNumber(read.header.revision);
    const [fileKv, markerKv, targetKv, belowTargetKv, ...ancestorKvs] = read.responses.map((r) => r.response_range.kvs[0]);
    if (!fileKv && markerKv && from !== to && !(await fence.hold())) return undefined;
    const source = fileKv ? [decodeFile(fileKv.value)] : await filesBelow(ctx, from, revision, Infinity);
    if (source.length === 0) throw new DfsError(Code.NotFound, `cannot rename ${from}: no file or directory there`);
    if (from === to) return source.length;
    const fileAbove = toAncestors.find((_, i) => ancestorKvs[i] !== undefined);
    if (fileAbove) throw new DfsError(Code.FailedPrecondition, `cannot move ${from} to ${to}: ${fileAbove} is a file, not a directory`);
    if (belowTargetKv) throw new DfsError(Code.AlreadyExists, `cannot move ${from} to ${to}: ${to} is a directory that exists; choose a new name`);
    const target = targetKv ? decodeFile(targetKv.value) : undefined;
    if (target && (!overwrite || !fileKv)) {
      const hint = fileKv ? 'rename with overwrite to replace it' : 'a directory cannot replace a file; choose a new name';
      throw new DfsError(Code.AlreadyExists, `cannot move ${from} to ${to}: ${to} is a file that exists; ${hint}`);
    }

    // Writes keyed by etcd key: a marker reached from both sides must be written once per transaction.
    const puts = new Map<string, string>();
    const dels: IRequestOp[] = [];
    const compares = [
      kv.modIs(keys.file(to), targetKv ? toNumber(targetKv.mod_revision) : 0),
      kv.noneUnder(keys.filesBelow(to)),
      ...toAncestors.map((a) => kv.absent(keys.file(a))),
    ];
    if (fileKv) {
      compares.push(kv.modIs(keys.file(from), toNumber(fileKv.mod_revision)));
      dels.push(kv.del(keys.file(from)), kv.del(keys.child(from)));
    } else {
      compares.push(kv.modIs(keys.marker(from), markerKv ? toNumber(markerKv.mod_revision) : 0));
      dels.push(kv.delPrefix(keys.filesBelow(from)), kv.delPrefix(keys.children(from)), kv.delPrefix(keys.deeperChildren(from)), kv.del(keys.marker(from)));
    }
    for (const a of ancestorsOf(from)) puts.set(keys.marker(a), DIR_MARKER);
    puts.set(keys.marker('/'), DIR_MARKER);
    for (const file of source) {
      const moved: FileRecord = { ...file, path: to + file.path.slice(from.length) };
      for (const a of ancestorsOf(moved.path)) puts.set(keys.marker(a), DIR_MARKER);
      puts.set(keys.file(moved.path), encodeFile(moved));
      puts.set(keys.child(moved.path), encodeFile(moved));
      // The record at commit follows the file, so purgeFile and commit retries know where it lives.
      puts.set(keys.fileMeta(moved.fileId), encodeFile(moved));
    }
    const now = Date.now();
    if (target) {
      puts.set(keys.gc(now, gcSuffix()), encodeGc({ kind: 'files', fileIds: [target.fileId], reason: 'overwritten', enqueuedAt: now }));
    }
    const ops = [...dels, ...[...puts].map(([k, v]) => kv.put(k, v))];
    if (ops.length > ctx.maxTxnOps || compares.length > ctx.maxTxnOps) {
      throw new DfsError(
        Code.FailedPrecondition,
        `moving ${from} (${source.length} files) needs ${ops.length} etcd operations, more than one atomic transaction holds (${ctx.maxTxnOps}): ` +
          `move its subdirectories one at a time (at most about ${Math.floor((ctx.maxTxnOps - 10) / 3)} files each)`,
      );
    }
    const res = await kv.txn(compares, ops);
    return res.succeeded ? source.length : undefined;
  }).finally(() => fence.release());
  if (from !== to) await removeEmptyDirs(ctx, parentPath(from));
  return { filesRenamed: moved };
}

/** Files strictly below `dir` as of `revision`, stopping after `max + 1` (enough to say "too many"). */
async function filesBelow(ctx: EtcdContext, dir: string, revision: number, max: number): Promise<FileRecord[]> {
  const files: FileRecord[] = [];
  for await (const kv of ctx.kv.scan(keys.filesBelow(dir), { revision })) {
    files.push(decodeFile(kv.value));
    if (files.length > max) break;
  }
  return files;
}

function touchAncestors(ctx: EtcdContext, path: string): IRequestOp[] {
  return [...ancestorsOf(path), '/'].map((a) => ctx.kv.put(keys.marker(a), DIR_MARKER));
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

const FENCE_TTL_SECONDS = 5;

/** The fence of a tree operation (see the top of this file). */
class Fence {
  private leaseId: string | undefined;

  constructor(
    private readonly ctx: EtcdContext,
    private readonly dir: string,
  ) {}

  /** Puts the fence unless it is there already; false when another operation holds it (retry later). */
  async hold(): Promise<boolean> {
    if (this.leaseId) return true;
    const { kv } = this.ctx;
    const leaseId = await kv.grantLease(FENCE_TTL_SECONDS);
    const res = await kv.txn([kv.absent(keys.fence(this.dir))], [kv.put(keys.fence(this.dir), 'fence', leaseId)]);
    if (!res.succeeded) {
      await kv.revokeLease(leaseId);
      return false;
    }
    this.leaseId = leaseId;
    return true;
  }

  /** Revoking the lease deletes the fence key. */
  async release(): Promise<void> {
    const leaseId = this.leaseId;
    this.leaseId = undefined;
    await this.ctx.kv.revokeLease(leaseId);
  }
}
