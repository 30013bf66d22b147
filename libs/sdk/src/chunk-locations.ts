import type { ChunkLocation } from '@dfs/proto';
import type { ClientContext } from './client-context.js';
import type { FileInfo } from './file-info.js';

/** Chunk locations fetched per GetFile call: a few hundred KiB of replicas, however large the file. */
const PAGE = 1000;

/**
 * The chunks of one version of a file from `fromIndex` on, fetched a page at
 * a time as iterated. Every page names the version (file_id), so a file
 * overwritten or renamed meanwhile fails with FailedPrecondition instead of
 * mixing two versions' chunks.
 */
export async function* chunkLocations(ctx: ClientContext, file: FileInfo, fromIndex: number, signal: AbortSignal): AsyncGenerator<ChunkLocation> {
  let next = fromIndex;
  while (next < file.chunkCount) {
    const request = { path: file.path, fromIndex: next, maxChunks: PAGE, fileId: file.fileId };
    const page = await ctx.coordinator((c, o) => c.getFile(request, o), signal);
    if (page.chunks.length === 0) break;
    yield* page.chunks;
    next = page.nextIndex;
  }
}
