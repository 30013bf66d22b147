// The etcd key layout. Every key starts with "<prefix>/"; after it:
//
//   p<path>                          FileRecord of a live file. Keys sort like paths, so
//                                    "every file below /a" is the range p/a/ .. p/a0 and
//                                    /ab/x (p/ab/x) is never in it.
//   c<parent>\0<name>                Child entry of a directory for a file: its record.
//   c<parent>\0<name>/               Child entry for a subdirectory: the marker "d". NUL
//                                    cannot occur in a path, so c/a\0 .. holds exactly the
//                                    direct children of /a, in the listing order (a
//                                    directory sorts as its path plus "/", where its
//                                    files' keys are). Descendants of /a: c/a\0… and c/a/…
//   R                                The root's marker (touched like any directory marker).
//   t<dir>                           Fence of a tree delete or rename: preparing (on a lease)
//   T                                or running (the job's record); the root's is T, so that
//                                    t/… holds exactly the fences below "/" (etcd-tree-job.ts).
//   i/<fileId>/m                     The record at commit; exists from commit to purgeFile
//                                    (this is what makes a file's chunks "referenced").
//   i/<fileId>/c/<first index, 10>   A batch of chunk refs (≤ CHUNK_BATCH per value).
//   k/<chunkId>                      fileId owning the chunk (referencedChunks, liveFilesOfChunks).
//   u/<uploadId>                     UploadRecord without placements, on the upload's lease.
//   w/<uploadId>/<index, 10>         A placement of the upload, on the same lease.
//   x/<expiresAt ms, 15>/<uploadId>  Expiry index of uploads, on the same lease.
//   o/<chunkId>                      uploadId that placed the chunk, on the same lease
//                                    (referencedChunks for open uploads).
//   d/<uploadId>                     fileId of a committed upload, on a ~24 h lease
//                                    (commit idempotency).
//   g/<enqueued ms, 15>/<random>     GC queue entry.
//   v                                Membership version counter.
//   n/<nodeId>                       NodeRecord.
//
// Directory markers of every ancestor are (re)written by each change below them,
// so a marker's mod revision moves whenever anything in its subtree changes: a
// tree operation compares that one revision instead of every file's.

import { baseName, parentPath } from '@dfs/proto';

export const CHUNK_BATCH = 1000;

export function pad(n: number, width: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(width, '0');
}


/** Key builders relative to the store prefix (the client adds the prefix). */
export const keys = {
  file: (path: string) => `p${path}`,
  /** Prefix of every file strictly below `dir`. */
  filesBelow: (dir: string) => (dir === '/' ? 'p/' : `p${dir}/`),
  child: (path: string) => `c${parentPath(path)}\0${baseName(path)}`,
  /** Prefix of the direct children of `dir`. */
  children: (dir: string) => `c${dir}\0`,
  /** Prefix of the children of `dir`'s subdirectories (for the root: of everything). */
  deeperChildren: (dir: string) => (dir === '/' ? 'c/' : `c${dir}/`),
  fence: (dir: string) => (dir === '/' ? 'T' : `t${dir}`),
  /** Prefix of the fences strictly below `dir`. */
  fencesBelow: (dir: string) => (dir === '/' ? 't/' : `t${dir}/`),
  marker: (dir: string) => (dir === '/' ? 'R' : `${keys.child(dir)}/`),
  fileMeta: (fileId: string) => `i/${fileId}/m`,
  fileAll: (fileId: string) => `i/${fileId}/`,
  chunkBatches: (fileId: string) => `i/${fileId}/c/`,
  chunkBatch: (fileId: string, firstIndex: number) => `i/${fileId}/c/${pad(firstIndex, 10)}`,
  chunkOwner: (chunkId: string) => `k/${chunkId}`,
  upload: (uploadId: string) => `u/${uploadId}`,
  uploads: () => 'u/',
  placement: (uploadId: string, index: number) => `w/${uploadId}/${pad(index, 10)}`,
  placements: (uploadId: string) => `w/${uploadId}/`,
  uploadChunkOwner: (chunkId: string) => `o/${chunkId}`,
  expiry: (expiresAtMs: number, uploadId: string) => `x/${pad(expiresAtMs, 15)}/${uploadId}`,
  expiries: () => 'x/',
  /** End (exclusive) of the expiry index for uploads expiring before `nowMs`. */
  expiriesBefore: (nowMs: number) => `x/${pad(nowMs, 15)}`,
  committed: (uploadId: string) => `d/${uploadId}`,
  gc: (enqueuedMs: number, id: string) => `g/${pad(enqueuedMs, 15)}/${id}`,
  gcAll: () => 'g/',
  membershipVersion: () => 'v',
  node: (nodeId: string) => `n/${nodeId}`,
  nodes: () => 'n/',
};

/** The value of a directory marker in the child index. */
export const DIR_MARKER = 'd';
