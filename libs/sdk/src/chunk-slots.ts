import { DEFAULT_FRAME_SIZE } from '@dfs/proto';
import { ByteBudget } from '@dfs/streamer';

/**
 * A chunk transfer holds at most this many frames in flight (a write's ack
 * window is 8 frames; a read prefetches 4 and has a 2 MiB receive window).
 */
const FRAMES_PER_SLOT = 8;

/**
 * The chunk transfers of a client that may run at once (maxChunkWrites,
 * maxChunkReads), counted by what they can hold: a chunk of 8 MiB or more
 * takes a whole slot, a smaller one a share by its size in frames, rounded
 * up (a 64 KiB chunk takes 1/8). The slots bound memory, and small chunks
 * hold little of it: their transfers are bound by round trips and fsyncs,
 * which want many at once. Handed out first come, first served.
 */
export class ChunkSlots {
  private readonly budget: ByteBudget;

  constructor(slots: number) {
    this.budget = new ByteBudget(slots * FRAMES_PER_SLOT);
  }

  /** Waits until a transfer of a chunk of `chunkBytes` fits; rejects with the signal's reason on abort. */
  acquire(chunkBytes: number, signal?: AbortSignal): Promise<void> {
    return this.budget.acquire(shareOf(chunkBytes), signal);
  }

  release(chunkBytes: number): void {
    this.budget.release(shareOf(chunkBytes));
  }

  /** How many transfers of chunks of `chunkBytes` fit at once. */
  fit(chunkBytes: number): number {
    return Math.floor(this.budget.capacity / shareOf(chunkBytes));
  }

  /** Slots taken, in frames (a whole slot is 8). */
  get inUse(): number {
    return this.budget.inUse;
  }

  /** Transfers waiting for room. */
  get waiting(): number {
    return this.budget.waiting;
  }
}

function shareOf(chunkBytes: number): number {
  return Math.min(FRAMES_PER_SLOT, Math.max(1, Math.ceil(chunkBytes / DEFAULT_FRAME_SIZE)));
}
