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
  /** Called whenever the replica answers: more bytes acknowledged, or a keepalive while it waits for a write slot. */
  onProgress: () => void;
}

/** What a replica is sent in its trailer: the client's checksum, once known. */
type TrailerChecksum = { sha256?: Uint8Array };

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
  /** When the replica last answered (or the forward started). */
  private lastHeard = Date.now();
  private failure: DfsError | undefined;
  private readonly trailer: TrailerChecksum = {};
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

  /**
   * Waits for room in the replica's queue; a failed replica takes nothing. A
   * replica that neither takes data nor answers for the idle timeout (a
   * connect that hangs on a silently dropped SYN never starts the stream's
   * own watchdog) is dropped. One that answers with keepalives (it is alive
   * and waiting for one of its write slots) is waited for: dropping it would
   * leave the chunk a copy short under exactly the load that is slowing it.
   */
  async push(data: Uint8Array): Promise<void> {
    if (!this.live) return;
    const idleMs = this.options.idleTimeoutMs;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<void>((resolve) => {
      const check = (): void => {
        const quietMs = Date.now() - Math.max(this.lastHeard, started);
        if (quietMs < idleMs) {
          timer = setTimeout(check, idleMs - quietMs);
          return;
        }
        this.abort(
          new DfsError(Code.DeadlineExceeded, `replica ${this.options.replica.address} took no data and sent no answer for ${idleMs} ms`, {
            reason: 'IDLE_TIMEOUT',
          }),
        );
        resolve();
      };
      timer = setTimeout(check, idleMs);
    });
    try {
      await Promise.race([this.queue.push(data), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** All frames are in: the replica stream sends its trailer with the client's checksum. */
  finish(sha256: Uint8Array): void {
    this.trailer.sha256 = sha256;
    this.queue.close();
  }

  abort(reason: unknown): void {
    if (this.failure === undefined) this.failure = DfsError.from(reason, Code.Unavailable);
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
        // The client's checksum, not ours: the replica verifies the client's bytes.
        trailerSha256: () => this.trailer.sha256!,
        windowFrames: o.windowFrames,
        idleTimeoutMs: o.idleTimeoutMs,
        signal: this.controller.signal,
        onProgress: (n) => {
          this.ackedBytes = n;
          this.lastHeard = Date.now();
          o.onProgress();
        },
      });
      const own = result.replicas[0];
      if (!own?.durable) throw new DfsError(Code.Internal, own?.errorMessage || 'the replica did not report its copy durable');
      // Count a copy only on the node we meant: an address now served by
      // another node (or an alias of ours) must not pass for a replica.
      if (o.replica.nodeId && own.replica?.nodeId !== o.replica.nodeId) {
        throw new DfsError(Code.FailedPrecondition, `replica ${o.replica.address} is node ${own.replica?.nodeId}, not ${o.replica.nodeId}`);
      }
      return create(ReplicaResultSchema, { replica: o.replica, durable: true });
    } catch (err) {
      this.failure ??= DfsError.from(err, Code.Unavailable);
      this.queue.fail(this.failure);
      o.onProgress();
      return create(ReplicaResultSchema, {
        replica: o.replica,
        durable: false,
        errorCode: codeName(this.failure.code),
        errorMessage: this.failure.rawMessage,
      });
    }
  }
}

/** Connect's wire name of a code, e.g. "deadline_exceeded" (as common.proto documents). */
function codeName(code: Code): string {
  return (Code[code] ?? 'Unknown').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}
