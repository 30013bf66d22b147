import { create } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import type { ChunkStore, ChunkWriter } from '@dfs/chunk-store';
import type { ClientPool } from '@dfs/client-pool';
import {
  Code,
  DatanodeService,
  DfsError,
  ReplicaResultSchema,
  WriteChunkResponseSchema,
  type Replica,
  type ReplicaResult,
  type WriteChunkRequest,
  type WriteChunkResponse,
} from '@dfs/proto';
import { acceptChunkWrite, type ByteBudget, type IncomingChunk } from '@dfs/streamer';
import type { Logger } from 'pino';
import type { InFlight } from './in-flight.js';
import { ReplicaForward } from './replica-forward.js';
import type { WriteSlots } from './write-slots.js';

export interface WriteChunkHandlerDeps {
  store: ChunkStore;
  pool: ClientPool;
  inFlight: InFlight;
  self: Replica;
  logger: Logger;
  /**
   * Bytes of accepted but not yet stored (and, on a primary, not yet
   * replica-acknowledged) frames, across all writes. Primaries and leaf
   * replicas draw on separate budgets: a primary waits on its replicas, so
   * one shared budget could deadlock two nodes replicating to each other.
   */
  budgets: { pipelined: ByteBudget; leaf: ByteBudget };
  /** Writes running at once, per role (same reason) and size. */
  slots: WriteSlots;
  write: {
    maxFrameSize: number;
    idleTimeoutMs: number;
    replicaIdleTimeoutMs: number;
    replicaWindowFrames: number;
    /** Copies that must be durable when the header leaves it to the node (capped at the pipeline). */
    defaultMinReplicas: number;
  };
}

/**
 * WriteChunk: stores the chunk locally while forwarding every frame, as it
 * arrives, to the replicas named in the header (in parallel). Progress acks
 * report the bytes this node has written AND every live replica has
 * acknowledged, so the client's window is the slowest copy's. The final
 * result is sent only once the local copy and every replica that reports
 * durable are verified and fsynced.
 */
export function createWriteChunkHandler(deps: WriteChunkHandlerDeps) {
  return async function* writeChunk(requests: AsyncIterable<WriteChunkRequest>, ctx: HandlerContext): AsyncGenerator<WriteChunkResponse> {
    // Ends on the client's abort too (see InFlight.begin), releasing its slot;
    // the write itself stops on the same signal and cleans up after itself.
    const op = deps.inFlight.begin('write', ctx.signal);
    const signal = op.signal;
    let incoming: IncomingChunk;
    try {
      incoming = await acceptChunkWrite(requests, { maxFrameSize: deps.write.maxFrameSize, idleTimeoutMs: deps.write.idleTimeoutMs, signal });
    } catch (err) {
      await op.end();
      throw err;
    }
    // A node runs a bounded number of writes at once (per role); the others
    // wait here without reading their frames, held back by HTTP/2 flow
    // control, with keepalive acks so their clients do not time out.
    const slots = deps.slots.poolFor(incoming.header);
    try {
      const slot = slots.acquire(1, signal).then(() => {
        op.onEnd(() => slots.release(1));
        return !signal.aborted;
      });
      slot.catch(() => undefined);
      while (!(await Promise.race([slot, sleep(KEEPALIVE_MS)]))) {
        if (signal.aborted) throw DfsError.from(signal.reason, Code.Canceled);
        yield create(WriteChunkResponseSchema, { message: { case: 'progress', value: { bytesAcked: 0n } } });
      }
      yield* new PipelinedWrite(deps, incoming, signal).run();
    } finally {
      await op.end();
    }
  };
}

const KEEPALIVE_MS = 1_000;

function sleep(ms: number): Promise<false> {
  return new Promise((resolve) => setTimeout(() => resolve(false), ms).unref());
}

class PipelinedWrite {
  private readonly replicas: ReplicaForward[];
  private written = 0;
  private reported = 0;
  /** When the client was last sent a progress message. */
  private lastSent = Date.now();
  private wake: (() => void) | undefined;
  private changed = false;
  private outcome: { result?: WriteChunkResponse; error?: unknown } | undefined;
  private writer: ChunkWriter | undefined;
  private readonly budget: ByteBudget;
  /** Frames holding budget, by end offset, until acknowledged. */
  private readonly held: Array<{ end: number; bytes: number }> = [];
  private received = 0;

  constructor(
    private readonly deps: WriteChunkHandlerDeps,
    private readonly incoming: IncomingChunk,
    private readonly signal: AbortSignal,
  ) {
    const h = incoming.header;
    this.budget = h.pipeline.length > 0 ? deps.budgets.pipelined : deps.budgets.leaf;
    for (const r of h.pipeline) {
      if (r.nodeId === deps.self.nodeId || r.address === deps.self.address) {
        throw new DfsError(Code.InvalidArgument, `the pipeline names this node (${r.address}) as a replica: list only the other nodes`, { reason: 'BAD_FRAME' });
      }
    }
    const ids = h.pipeline.map((r) => r.nodeId).filter((id) => id !== '');
    if (new Set(h.pipeline.map((r) => r.address)).size !== h.pipeline.length || new Set(ids).size !== ids.length) {
      throw new DfsError(Code.InvalidArgument, 'the pipeline names a node twice: replicas must be distinct nodes', { reason: 'BAD_FRAME' });
    }
    this.replicas = h.pipeline.map(
      (replica) =>
        new ReplicaForward({
          client: deps.pool.client(DatanodeService, replica.address),
          replica,
          chunkId: h.chunkId,
          size: h.size,
          sha256: h.sha256,
          uploadId: h.uploadId,
          windowFrames: deps.write.replicaWindowFrames,
          idleTimeoutMs: deps.write.replicaIdleTimeoutMs,
          onProgress: () => this.notify(),
        }),
    );
    // The client went away (or shutdown gave up on us): stop the replicas too.
    // Removed once the write has its outcome (see run): Connect aborts the
    // call's signal when it ends, and aborting finished replicas built errors
    // for nothing.
    signal.addEventListener('abort', this.abortReplicas, { once: true });
  }

  private readonly abortReplicas = (): void => this.replicas.forEach((r) => r.abort(this.signal.reason));

  async *run(): AsyncGenerator<WriteChunkResponse> {
    const pump = this.pump().then(
      (result) => (this.outcome = { result }),
      (error) => (this.outcome = { error }),
    );
    pump.finally(() => {
      // The replicas are done (a failed pump aborts them itself). Here, not
      // when this generator ends: Connect may never resume it after the client left.
      this.signal.removeEventListener('abort', this.abortReplicas);
      // Whatever the outcome, the frames are no longer ours to hold.
      for (const f of this.held.splice(0)) this.budget.release(f.bytes);
      this.notify();
    });
    for (;;) {
      if (!this.changed) await new Promise<void>((resolve) => (this.wake = resolve));
      this.changed = false;
      const acked = this.ackedBytes();
      // Without new bytes, a keepalive while the replicas answer (one waiting
      // for a write slot sends one every KEEPALIVE_MS): the client must not
      // time the write out for a replica that is alive but queued. Half the
      // period, so that no answer is skipped for coming a little early.
      if (acked > this.reported || Date.now() - this.lastSent >= KEEPALIVE_MS / 2) {
        this.reported = acked;
        this.lastSent = Date.now();
        yield create(WriteChunkResponseSchema, { message: { case: 'progress', value: { bytesAcked: BigInt(acked) } } });
      }
      if (this.outcome) {
        if (this.outcome.error !== undefined) throw this.outcome.error;
        yield this.outcome.result!;
        return;
      }
    }
  }

  private async pump(): Promise<WriteChunkResponse> {
    const { store, logger } = this.deps;
    const h = this.incoming.header;
    try {
      this.writer = await store.createWriter({ chunkId: h.chunkId, size: h.size, sha256: h.sha256, uploadId: h.uploadId }, { signal: this.signal });
      for await (const data of this.incoming.frames()) {
        await this.budget.acquire(data.length, this.signal);
        this.received += data.length;
        this.held.push({ end: this.received, bytes: data.length });
        // Hand the frame to the replicas first so their network and disk work
        // overlaps ours; each push waits only for room in that replica's queue.
        await Promise.all(this.replicas.map((r) => r.push(data)));
        await this.writer.write(data);
        this.written += data.length;
        this.notify();
      }
      const trailer = this.incoming.trailer!;
      for (const r of this.replicas) r.finish(trailer.sha256);
      const [local, ...remote] = await Promise.allSettled([
        this.writer.commit({ size: trailer.size, sha256: trailer.sha256 }),
        ...this.replicas.map((r) => r.done),
      ]);
      if (local.status === 'rejected') throw local.reason;
      const results = [
        create(ReplicaResultSchema, { replica: this.deps.self, durable: true }),
        ...remote.map((r) => (r as PromiseFulfilledResult<ReplicaResult>).value),
      ];
      const durable = results.filter((r) => r.durable).length;
      const min = h.minReplicas || Math.min(this.deps.write.defaultMinReplicas, h.pipeline.length + 1);
      if (durable < min) {
        // The client will place this chunk again under a new id: drop the
        // copies that did land now rather than leave them to GC.
        await store.delete(h.chunkId).catch(() => undefined);
        await this.deleteFromReplicas(results.slice(1).filter((r) => r.durable).map((r) => r.replica!));
        const failed = results.filter((r) => !r.durable).map((r) => `${r.replica?.address}: ${r.errorMessage}`);
        throw new DfsError(Code.Unavailable, `chunk ${h.chunkId}: only ${durable} of the required ${min} copies are durable (${failed.join('; ')}); write it again on other nodes`, {
          reason: 'NOT_ENOUGH_REPLICAS',
        });
      }
      logger.debug({ chunkId: h.chunkId, size: trailer.size, durable }, 'chunk stored');
      return create(WriteChunkResponseSchema, {
        message: { case: 'result', value: { chunkId: h.chunkId, size: BigInt(trailer.size), sha256: trailer.sha256, replicas: results } },
      });
    } catch (err) {
      const error = DfsError.from(err);
      for (const r of this.replicas) r.abort(error);
      await this.writer?.abort().catch(() => undefined);
      if (error.code !== Code.Canceled) logger.warn({ chunkId: h.chunkId, code: Code[error.code], reason: error.reason, err: error.rawMessage }, 'chunk write failed');
      throw error;
    }
  }

  private async deleteFromReplicas(replicas: Replica[]): Promise<void> {
    const chunkIds = [this.incoming.header.chunkId];
    await Promise.allSettled(
      replicas.map((r) => this.deps.pool.client(DatanodeService, r.address).deleteChunks({ chunkIds }, { timeoutMs: 5_000 })),
    );
  }

  /** Bytes held by this node and acknowledged by every replica still alive. */
  private ackedBytes(): number {
    let acked = this.written;
    for (const r of this.replicas) if (r.live) acked = Math.min(acked, r.acked);
    return acked;
  }

  private notify(): void {
    const acked = this.ackedBytes();
    while (this.held.length > 0 && this.held[0]!.end <= acked) this.budget.release(this.held.shift()!.bytes);
    this.changed = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
