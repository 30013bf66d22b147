import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { Code, DfsError, ReplicaResultSchema, type DatanodeService, type Replica, type ReplicaResult } from '@dfs/proto';
import { AsyncQueue, writeChunkStream } from '@dfs/streamer';

export interface ReplicaForwardOptions {
  client: Client<typeof DatanodeService>;
  replica: Replica;
  chunkId: string;
  size: number | undefined;
  sha256: Uint8Array | undefined;
  uploadId: string;
  windowFrames: number;
  idleTimeoutMs: number;
  /** Called whenever the replica acknowledges more bytes. */
  onProgress: () => void;
}

/**
 * One replica of a pipelined write, as seen from the primary: frames go in
 * through a small bounded queue (so a slow replica slows the primary instead
 * of piling frames up in memory), and the replica's own WriteChunk stream
 * acks them. A replica that fails is dropped from the write; the others go on.
 */
export class ReplicaForward {
  private readonly queue: AsyncQueue<Uint8Array>;
  private readonly controller = new AbortController();
  private ackedBytes = 0;
  private failure: DfsError | undefined;
  readonly done: Promise<ReplicaResult>;

  constructor(private readonly options: ReplicaForwardOptions) {
    this.queue = new AsyncQueue<Uint8Array>(2);
    this.done = this.run();
  }

  get replica(): Replica {
    return this.options.replica;
  }

  get live(): boolean {
    return this.failure === undefined;
  }

  get acked(): number {
    return this.ackedBytes;
  }

  /** Waits for room in the replica's queue; a failed replica takes nothing. */
  async push(data: Uint8Array): Promise<void> {
    if (!this.live) return;
    await this.queue.push(data);
  }

  /** All frames are in: the replica stream sends its trailer. */
  finish(): void {
    this.queue.close();
  }

  abort(reason: unknown): void {
    this.queue.fail(reason);
    this.controller.abort(reason);
  }

  private async run(): Promise<ReplicaResult> {
    const o = this.options;
    try {
      const { result } = await writeChunkStream(o.client, {
        chunkId: o.chunkId,
        size: o.size,
        sha256: o.sha256,
        uploadId: o.uploadId,
        // The replica writes only its own copy; fan-out is the primary's job.
        pipeline: [],
        minReplicas: 1,
        frames: this.queue,
        windowFrames: o.windowFrames,
        idleTimeoutMs: o.idleTimeoutMs,
        signal: this.controller.signal,
        onProgress: (n) => {
          this.ackedBytes = n;
          o.onProgress();
        },
      });
      const own = result.replicas[0];
      if (own && !own.durable) throw new DfsError(Code.Internal, own.errorMessage || 'replica reported the chunk not durable');
      return create(ReplicaResultSchema, { replica: o.replica, durable: true });
    } catch (err) {
      this.failure = DfsError.from(err, Code.Unavailable);
      this.queue.fail(this.failure);
      o.onProgress();
      return create(ReplicaResultSchema, {
        replica: o.replica,
        durable: false,
        errorCode: Code[this.failure.code] ?? 'unknown',
        errorMessage: this.failure.rawMessage,
      });
    }
  }
}
