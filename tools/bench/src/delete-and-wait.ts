import { createDfsClient } from '@dfs/sdk';
import type { CaseContext } from './case-context.js';
import { waitForChunksGone } from './wait-for-chunks-gone.js';

/**
 * Deletes a remote tree (unless the case deleted it itself, as a measured
 * step) and waits for its chunks to leave the disks, so the next case does
 * not pay for the garbage collector's disk work.
 */
export async function deleteAndWait(ctx: CaseContext, path: string, alreadyDeleted = false): Promise<void> {
  if (!alreadyDeleted) {
    const dfs = createDfsClient({ coordinators: ctx.cluster.coordinator.address });
    try {
      await dfs.delete(path, { recursive: true });
    } finally {
      await dfs.close();
    }
  }
  if (!(await waitForChunksGone(ctx.cluster))) ctx.note(`run ${ctx.run + 1}: chunks of ${path} were still on the datanodes 60 s after the delete`);
}
