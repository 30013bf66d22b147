// Deleting and renaming files and trees in etcd.
//
// A file is deleted or renamed by one compare-and-swap transaction on its
// keys. A tree is deleted or renamed by a job (etcd-tree-job.ts): one
// transaction starts it, which is when the change happens for every reader,
// and batches carry it out, so a tree of any size works. The start compares
// the mod revision of the tree's directory marker, which every change below
// the directory rewrites (see etcd-keys), so the file count it returns is
// exact. Every change here, like every commit, compares the fences of the
// paths it touches absent, so it never lands inside a running job's tree.
import { Code, DfsError, MAX_PATH_BYTES, ancestorsOf, isSameOrBelow, parentPath } from '@dfs/proto';
import type { ICompare, IRequestOp } from 'etcd3';
import type { FileRecord } from '../metadata-store.js';
import { checkDepth, maxAncestors } from './etcd-commit.js';
import { decodeFile, encodeFile, encodeGc } from './etcd-codec.js';
import { gcSuffix, retryCas, type EtcdContext } from './etcd-context.js';
import { keys } from './etcd-keys.js';
import { isDirectoryError, movedPathTooLongError } from '../metadata-errors.js';
import { movedPath } from '../path-keys.js';
import { toNumber } from './etcd-kv.js';
import {
  PreparingFence,
  clearOfJobs,
  fenceCompares,
  fenceReads,
  newJob,
  removeEmptyDirs,
  runTreeJob,
  startJobOps,
  touchAncestors,
  type TreeJob,
} from './etcd-tree-job.js';

type Started = { files: number; job?: TreeJob };

export async function deletePath(ctx: EtcdContext, path: string, recursive: boolean): Promise<{ filesDeleted: number }> {
  const { kv } = ctx;
  const fence = new PreparingFence(ctx, path);
  const started = await retryCas<Started>(`delete of ${path}`, async () => {
    const read = await kv.txn([], [kv.getOp(keys.file(path)), kv.getOp(keys.marker(path)), ...fenceReads(ctx, [path])]);
    const revision = toNumber(read.header.revision);
    const [fileKv, markerKv, ...fences] = read.responses.map((r) => r.response_range.kvs[0]);
    const own = fence.held ? fence : undefined;
    if (!(await clearOfJobs(ctx, fences, own))) return undefined;
    const now = Date.now();
    if (fileKv) {
      const file = decodeFile(fileKv.value);
      const res = await kv.txn(
        [kv.modIs(keys.file(path), toNumber(fileKv.mod_revision)), ...fenceCompares(ctx, [path], own)],
        [
          kv.del(keys.file(path)),
          kv.del(keys.child(path)),
          ...touchAncestors(ctx, path),
          kv.put(keys.gc(now, gcSuffix()), encodeGc({ kind: 'files', fileIds: [file.fileId], reason: 'deleted', enqueuedAt: now })),
        ],
      );
      return res.succeeded ? { files: 1 } : undefined;
    }
    const files = await kv.count(keys.filesBelow(path), revision);
    if (files === 0) throw new DfsError(Code.NotFound, `nothing to delete at ${path}: no file or directory there`);
    if (!recursive) {
      throw new DfsError(Code.FailedPrecondition, `${path} is a directory with files below it: delete it with recursive to remove the whole tree`);
    }
    if (!own) {
      await fence.hold(); // then read again behind it (or, when another holds the tree, wait for it)
      return undefined;
    }
    const job = newJob('delete', path);
    const res = await kv.txn(
      [kv.modIs(keys.marker(path), markerKv ? toNumber(markerKv.mod_revision) : 0), ...fenceCompares(ctx, [path], own)],
      [...startJobOps(ctx, job), ...touchAncestors(ctx, path)],
    );
    return res.succeeded ? { files, job } : undefined;
  }).finally(() => fence.release());
  if (started.job) await runTreeJob(ctx, started.job);
  else await removeEmptyDirs(ctx, parentPath(path));
  return { filesDeleted: started.files };
}

export async function rename(ctx: EtcdContext, from: string, to: string, overwrite: boolean): Promise<{ filesRenamed: number }> {
  const { kv } = ctx;
  if (from === '/' || to === '/') throw new DfsError(Code.InvalidArgument, 'the root directory cannot be renamed or replaced');
  if (from === to) throw new DfsError(Code.InvalidArgument, `cannot rename ${from} to itself: give a different target path`);
  if (isSameOrBelow(to, from)) {
    throw new DfsError(Code.InvalidArgument, `cannot move ${from} into itself (${to}): choose a target outside ${from}`);
  }
  const toAncestors = ancestorsOf(to);
  checkDepth(ctx, to, toAncestors.length);
  const fence = new PreparingFence(ctx, from);
  const started = await retryCas<Started>(`rename of ${from}`, async () => {
    const read = await kv.txn(
      [],
      [
        kv.getOp(keys.file(from)),
        kv.getOp(keys.marker(from)),
        kv.getOp(keys.file(to)),
        { request_range: kv.rangeRequest(keys.filesBelow(to), { limit: 1, keysOnly: true }) },
        ...toAncestors.map((a) => kv.getOp(keys.file(a))),
        ...fenceReads(ctx, [from, to]),
      ],
    );
    const revision = toNumber(read.header.revision);
    const [fileKv, markerKv, targetKv, belowTargetKv, ...rest] = read.responses.map((r) => r.response_range.kvs[0]);
    const own = fence.held ? fence : undefined;
    if (!(await clearOfJobs(ctx, rest.slice(toAncestors.length), own))) return undefined;
    const files = fileKv ? 1 : await kv.count(keys.filesBelow(from), revision);
    if (files === 0) throw new DfsError(Code.NotFound, `cannot rename ${from}: no file or directory there`);
    const fileAbove = toAncestors.find((_, i) => rest[i] !== undefined);
    if (fileAbove) throw new DfsError(Code.FailedPrecondition, `cannot move ${from} to ${to}: ${fileAbove} is a file, not a directory`);
    if (belowTargetKv) {
      // As the other stores: a file cannot take a directory's path (FailedPrecondition); a tree cannot land on a taken one.
      if (fileKv) throw isDirectoryError(to);
      throw new DfsError(Code.AlreadyExists, `cannot move ${from} to ${to}: ${to} is a directory that exists; choose a new name`);
    }
    const target = targetKv ? decodeFile(targetKv.value) : undefined;
    if (target && (!overwrite || !fileKv)) {
      const hint = fileKv ? 'rename with overwrite to replace it' : 'a directory cannot replace a file; choose a new name';
      throw new DfsError(Code.AlreadyExists, `cannot move ${from} to ${to}: ${to} is a file that exists; ${hint}`);
    }
    const compares: ICompare[] = [
      kv.modIs(keys.file(to), targetKv ? toNumber(targetKv.mod_revision) : 0),
      kv.noneUnder(keys.filesBelow(to)),
      ...toAncestors.map((a) => kv.absent(keys.file(a))),
      ...fenceCompares(ctx, [from, to], own),
    ];
    let ops: IRequestOp[];
    let job: TreeJob | undefined;
    if (fileKv) {
      compares.push(kv.modIs(keys.file(from), toNumber(fileKv.mod_revision)));
      ops = moveFileOps(ctx, decodeFile(fileKv.value), to, target);
    } else {
      if (!own) {
        await fence.hold(); // then read again behind it (or, when another holds the tree, wait for it)
        return undefined;
      }
      await checkMovedTree(ctx, from, to, revision);
      compares.push(kv.modIs(keys.marker(from), markerKv ? toNumber(markerKv.mod_revision) : 0));
      job = newJob('rename', from, to);
      ops = [...startJobOps(ctx, job), ...touchAncestors(ctx, from, to)];
    }
    if (compares.length > ctx.maxTxnOps || ops.length > ctx.maxTxnOps) {
      throw new DfsError(Code.InvalidArgument, `${from} and ${to} together are too deep for one etcd transaction: use a flatter layout`);
    }
    const res = await kv.txn(compares, ops);
    return res.succeeded ? { files, job } : undefined;
  }).finally(() => fence.release());
  if (started.job) await runTreeJob(ctx, started.job);
  else if (from !== to) await removeEmptyDirs(ctx, parentPath(from));
  return { filesRenamed: started.files };
}

/** Keys per page when a tree rename reads the paths below its source. */
const SCAN_PAGE = 1000;

/**
 * Refuses a tree rename that would give a file below `from` a path over the
 * length limit, or more ancestors than a commit transaction can compare (see
 * checkDepth): no RPC could then touch that file, and a job's batches could
 * fail on it for ever. Reads the tree at `revision`, whose state the start
 * transaction compares (the directory marker), so the check holds at the
 * start. Only a target longer or deeper than the source can exceed a limit.
 */
async function checkMovedTree(ctx: EtcdContext, from: string, to: string, revision: number): Promise<void> {
  if (Buffer.byteLength(to, 'utf8') <= Buffer.byteLength(from, 'utf8') && ancestorsOf(to).length <= ancestorsOf(from).length) return;
  let longest = { path: '', bytes: -1 };
  let deepest = { path: '', slashes: -1 };
  for (let after: string | undefined; ; ) {
    const page = await ctx.kv.range(keys.filesBelow(from), { from: after, limit: SCAN_PAGE, revision, keysOnly: true });
    for (const { key } of page.kvs) {
      const path = key.slice(keys.file('').length);
      const bytes = Buffer.byteLength(path, 'utf8');
      if (bytes > longest.bytes) longest = { path, bytes };
      const slashes = path.split('/').length;
      if (slashes > deepest.slashes) deepest = { path, slashes };
    }
    if (!page.more || page.kvs.length === 0) break;
    after = page.kvs[page.kvs.length - 1]!.key + '\0';
  }
  if (longest.bytes < 0) return;
  const moved = movedPath(longest.path, from, to);
  if (Buffer.byteLength(moved, 'utf8') > MAX_PATH_BYTES) throw movedPathTooLongError(from, to, longest.path, moved);
  const deepMoved = movedPath(deepest.path, from, to);
  const ancestors = ancestorsOf(deepMoved).length;
  if (ancestors > maxAncestors(ctx)) {
    throw new DfsError(
      Code.InvalidArgument,
      `cannot move ${from} to ${to}: ${deepest.path.length > 80 ? `${deepest.path.slice(0, 80)}…` : deepest.path} would become ${ancestors + 1} directories deep; the etcd backend allows at most ${maxAncestors(ctx) + 1}: pick a shallower target or use a flatter layout`,
    );
  }
}

/** Moves one file's keys; a replaced target goes to GC. */
function moveFileOps(ctx: EtcdContext, file: FileRecord, to: string, target: FileRecord | undefined): IRequestOp[] {
  const { kv } = ctx;
  const moved = encodeFile({ ...file, path: to });
  const ops: IRequestOp[] = [
    kv.del(keys.file(file.path)),
    kv.del(keys.child(file.path)),
    kv.put(keys.file(to), moved),
    kv.put(keys.child(to), moved),
    // The record at commit follows the file, so purgeFile and commit retries know where it lives.
    kv.put(keys.fileMeta(file.fileId), moved),
    ...touchAncestors(ctx, file.path, to),
  ];
  if (target) {
    const now = Date.now();
    ops.push(kv.put(keys.gc(now, gcSuffix()), encodeGc({ kind: 'files', fileIds: [target.fileId], reason: 'overwritten', enqueuedAt: now })));
  }
  return ops;
}
