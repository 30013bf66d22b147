import { DEFAULT_FRAME_SIZE } from '@dfs/proto';
import { ByteBudget } from '@dfs/streamer';

/** A write that declares at most this many bytes (one frame as clients send them) is small. */
export const SMALL_WRITE_BYTES = DEFAULT_FRAME_SIZE;

type Role = 'pipelined' | 'leaf';

/**
 * How many writes a node runs at once: separate pools per role (a primary
 * waits on its replicas, so one shared pool could deadlock two nodes
 * replicating to each other) and per size. Large writes get few slots: each
 * one running holds buffers (replica queues and windows, frames being
 * written) whatever the budgets. A small write holds at most its declared
 * size (the stream refuses bytes past it), so many run at once: otherwise a
 * small file waits for a slot behind other writes' fsyncs, which take
 * longer than the CPU work of the whole write.
 */
export class WriteSlots {
  private readonly pools: Record<Role, { large: ByteBudget; small: ByteBudget }>;

  constructor(limits: { maxActive: number; maxActiveSmall: number }) {
    const pool = () => ({ large: new ByteBudget(limits.maxActive), small: new ByteBudget(limits.maxActiveSmall) });
    this.pools = { pipelined: pool(), leaf: pool() };
  }

  /** The pool a write takes its one slot from, by its header. */
  poolFor(header: { pipeline: readonly unknown[]; size: number | undefined }): ByteBudget {
    const role = this.pools[header.pipeline.length > 0 ? 'pipelined' : 'leaf'];
    return header.size !== undefined && header.size <= SMALL_WRITE_BYTES ? role.small : role.large;
  }
}
