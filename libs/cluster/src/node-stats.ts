import { Code, DfsError } from '@dfs/proto';
import type { NodeRecord } from './membership-store.js';

/** What a datanode reports about itself on register and on every heartbeat. */
export type NodeStats = Pick<NodeRecord, 'capacityBytes' | 'usedBytes' | 'freeBytes' | 'chunkCount' | 'activeTransfers'>;

const STAT_FIELDS = ['capacityBytes', 'usedBytes', 'freeBytes', 'chunkCount', 'activeTransfers'] as const;

/**
 * The stats as a fresh object, or InvalidArgument. Placement divides by and
 * compares these numbers, so a negative or fractional one would skew every
 * decision silently; better to refuse the heartbeat and let the node log it.
 */
export function checkNodeStats(stats: NodeStats | undefined, nodeId: string): NodeStats {
  if (typeof stats !== 'object' || stats === null) {
    throw new DfsError(Code.InvalidArgument, `node ${nodeId} sent no stats: every register and heartbeat must carry capacity, used and free bytes`);
  }
  const checked = {} as NodeStats;
  for (const field of STAT_FIELDS) {
    const value = stats[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new DfsError(
        Code.InvalidArgument,
        `node ${nodeId} reported stats.${field} = ${String(value)}: it must be a whole number >= 0; check the datanode's disk accounting`,
      );
    }
    checked[field] = value;
  }
  return checked;
}
