import { Code, DfsError as WireError, type ChunkLocation, type GetFileResponse } from '@dfs/proto';
import type { ClientContext } from './client-context.js';
import type { FileInfo } from './file-info.js';

/** Chunk locations fetched per GetFile call: a few hundred KiB of replicas, however large the file. */
const PAGE = 1000;

/** What names one version of a file to the coordinator: its path and its file_id. */
export type FileVersion = Pick<FileInfo, 'path' | 'fileId'>;

/**
 * The chunks of one version of a file from `fromIndex` on, fetched a page at
 * a time as iterated. Every page names the version (file_id), so a file
 * overwritten, moved or deleted meanwhile fails with FailedPrecondition
 * instead of mixing two versions' chunks.
 */
export async function* chunkLocations(ctx: ClientContext, file: FileInfo, fromIndex: number, signal: AbortSignal): AsyncGenerator<ChunkLocation> {
  let next = fromIndex;
  while (next < file.chunkCount) {
    const page = await versionPage(ctx, file, next, PAGE, signal);
    if (page.chunks.length === 0) break;
    yield* page.chunks;
    next = page.nextIndex;
  }
}

/**
 * Where `chunk` of the version is now. Locations listed earlier go stale
 * during a long read: healing or draining moves copies, and once a version is
 * replaced or deleted its chunks are deleted from the datanodes (after the
 * coordinator's GC delay). FailedPrecondition when the version is gone.
 */
export async function currentLocation(ctx: ClientContext, file: FileVersion, chunk: ChunkLocation, signal: AbortSignal): Promise<ChunkLocation> {
  const [now] = (await versionPage(ctx, file, chunk.index, 1, signal)).chunks;
  // A version's chunks never change: another id (or none) means the coordinator no longer has this version.
  if (now?.chunkId !== chunk.chunkId) throw versionGone(file);
  return now;
}

async function versionPage(ctx: ClientContext, file: FileVersion, fromIndex: number, maxChunks: number, signal: AbortSignal): Promise<GetFileResponse> {
  const request = { path: file.path, fromIndex, maxChunks, fileId: file.fileId };
  try {
    return await ctx.coordinator((c, o) => c.getFile(request, o), signal);
  } catch (err) {
    const error = WireError.from(err);
    // GetFile answers FailedPrecondition when another version is at the path
    // (overwritten, or moved and replaced), NotFound when nothing is: either
    // way the version being read is gone, and only a new read can succeed.
    if (error.code === Code.FailedPrecondition || error.code === Code.NotFound) throw versionGone(file, error);
    throw error;
  }
}

function versionGone(file: FileVersion, cause?: unknown): WireError {
  return new WireError(Code.FailedPrecondition, `${file.path} was replaced, moved or deleted while it was being read; read it again`, { cause, reason: 'VERSION_GONE' });
}
