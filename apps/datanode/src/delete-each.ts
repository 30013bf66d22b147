import type { ChunkStore } from '@dfs/chunk-store';
import { DfsError, errorReason } from '@dfs/proto';

export interface DeleteEachOutcome {
  /** Removed by this call (or gone after an error, see deleteEach). */
  deleted: string[];
  /** Not stored here in the first place. */
  notFound: string[];
  /** Still here, or not known to be gone: to be asked again. */
  failed: { chunkId: string; error: DfsError }[];
}

/**
 * Deletes chunks one by one, each on its own: a delete that fails (EIO on
 * the unlink, a failed directory fsync) is recorded and the next id is
 * deleted all the same, so one bad file does not leave thousands of
 * others in place. Duplicate ids are handled once. Stops early only when
 * `signal` aborts or the store shuts down: the ids not reached are in no list.
 */
export async function deleteEach(store: ChunkStore, chunkIds: readonly string[], signal?: AbortSignal): Promise<DeleteEachOutcome> {
  const out: DeleteEachOutcome = { deleted: [], notFound: [], failed: [] };
  for (const chunkId of new Set(chunkIds)) {
    if (signal?.aborted) break;
    try {
      ((await store.delete(chunkId)) ? out.deleted : out.notFound).push(chunkId);
    } catch (err) {
      const error = DfsError.from(err);
      if (error.reason === 'SHUTTING_DOWN') break;
      // Gone despite the error counts as deleted: the unlink happened and a
      // later step failed (the directory fsync: should a crash bring the file
      // back, the chunk report lists it and the coordinator deletes it
      // again), or the file was found damaged and quarantined.
      const gone = await store.has(chunkId).then(
        (has) => !has,
        (hasErr: unknown) => (errorReason(hasErr) === 'SHUTTING_DOWN' ? undefined : false),
      );
      if (gone === undefined) break;
      if (gone) out.deleted.push(chunkId);
      else out.failed.push({ chunkId, error });
    }
  }
  return out;
}
