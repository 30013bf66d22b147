import { Code, DfsError, type ChunkPlacement } from '@dfs/proto';
import type { ClientContext } from './client-context.js';

/** Most placements asked for at once for a stream (within the coordinator's default limit of 1,000 per call). */
const MAX_STREAM_BATCH = 64;

/**
 * Where each chunk of an upload goes. CreateUpload placed the first chunks
 * (up to the coordinator's per-call limit, which the size of that first
 * batch reveals); the rest are asked for with AllocateChunks in batches of
 * that size as the upload reaches them. When the size is not known (a
 * stream), batches start at one chunk and double up to MAX_STREAM_BATCH:
 * one call per chunk made a long stream cost the coordinator a call, and a
 * rewrite of the upload's growing placement list, per chunk; a short stream
 * still places few chunks it never writes (at most one batch, collected
 * with the upload's other unused placements at commit). Holds at most one batch.
 */
export class PlacementQueue {
  private readonly ready = new Map<number, ChunkPlacement>();
  private batch: number;
  /** Indexes below this have been placed (and are ready or taken); never placed twice. */
  private placedUpTo: number;
  private allocating: Promise<unknown> = Promise.resolve();
  /** A stream's batches grow up to this; lowered when the coordinator refuses a batch as too large. */
  private streamBatchCap = MAX_STREAM_BATCH;

  constructor(
    private readonly ctx: ClientContext,
    private readonly uploadId: string,
    initial: readonly ChunkPlacement[],
    /** Chunks of the upload when its size is known. */
    private readonly chunkCount: number | undefined,
  ) {
    for (const p of initial) this.ready.set(p.index, p);
    this.batch = chunkCount === undefined ? 1 : Math.max(1, initial.length);
    this.placedUpTo = initial.length;
  }

  /** The placement of chunk `index` (each index is taken once). */
  async take(index: number, signal: AbortSignal): Promise<ChunkPlacement> {
    for (;;) {
      const placed = this.ready.get(index);
      if (placed) {
        this.ready.delete(index);
        return placed;
      }
      // Invariants of the caller (each index taken once, none past the end): a loop otherwise.
      if (index < this.placedUpTo || (this.chunkCount !== undefined && index >= this.chunkCount)) {
        throw new Error(`placement of chunk ${index} asked for twice or past the last chunk`);
      }
      // One allocation at a time: concurrent takers of one batch wait for it
      // instead of each asking for overlapping indexes.
      const turn = this.allocating.then(() => this.allocateFrom(index, signal));
      this.allocating = turn.catch(() => undefined);
      await turn;
    }
  }

  /** A fresh placement of chunk `index` (a new chunk id) on nodes other than `exclude`; the coordinator collects the old id. */
  async replace(index: number, exclude: Iterable<string>, signal: AbortSignal): Promise<ChunkPlacement> {
    const request = { uploadId: this.uploadId, indexes: [index], excludeNodeIds: [...exclude] };
    const { placements } = await this.ctx.coordinator((c, o) => c.allocateChunks(request, o), signal);
    return placements[0]!;
  }

  /** Places the next batch of never-placed indexes (the caller loops until its index is ready). */
  private async allocateFrom(index: number, signal: AbortSignal): Promise<void> {
    if (this.ready.has(index) || index < this.placedUpTo) return;
    const first = this.placedUpTo;
    const stream = this.chunkCount === undefined;
    const last = stream ? first + this.batch : Math.min(this.chunkCount!, first + this.batch);
    const indexes: number[] = [];
    for (let i = first; i < last; i++) indexes.push(i);
    let placements: ChunkPlacement[];
    try {
      ({ placements } = await this.ctx.coordinator((c, o) => c.allocateChunks({ uploadId: this.uploadId, indexes }, o), signal));
    } catch (err) {
      // A coordinator configured with fewer placements per call refuses a
      // stream's larger batch: ask for half (the caller loops), down to one.
      if (stream && indexes.length > 1 && DfsError.from(err).code === Code.InvalidArgument) {
        this.batch = Math.max(1, Math.floor(indexes.length / 2));
        this.streamBatchCap = this.batch;
        return;
      }
      throw err;
    }
    for (const p of placements) this.ready.set(p.index, p);
    this.placedUpTo = last;
    if (stream) this.batch = Math.min(this.batch * 2, this.streamBatchCap);
  }
}
