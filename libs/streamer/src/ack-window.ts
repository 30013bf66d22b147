import { Code, DfsError } from '@dfs/proto';

/**
 * The sender's window of unacknowledged frames. A frame is in flight from
 * `acquire` until the receiver acknowledges a byte count at or past its end.
 */
export class AckWindow {
  private readonly ends: number[] = [];
  private acked = 0;
  private waiter: (() => void) | undefined;
  private failure: unknown;

  constructor(readonly frames: number) {
    if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`window must be a whole number of frames >= 1, got ${frames}`);
  }

  get bytesAcked(): number {
    return this.acked;
  }

  get inFlight(): number {
    return this.ends.length;
  }

  /** Waits until fewer than `frames` frames are unacknowledged, then records one ending at `end`. */
  async acquire(end: number, signal?: AbortSignal): Promise<void> {
    while (this.ends.length >= this.frames) {
      if (this.failure !== undefined) throw this.failure;
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiter = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
      });
    }
    if (this.failure !== undefined) throw this.failure;
    this.ends.push(end);
  }

  /** The receiver holds every byte before `bytes`. Acks never move backwards. */
  ack(bytes: number): void {
    if (bytes < this.acked) {
      throw new DfsError(Code.Internal, `acknowledged byte count went backwards (${bytes} < ${this.acked})`, { reason: 'BAD_FRAME' });
    }
    this.acked = bytes;
    while (this.ends.length > 0 && this.ends[0]! <= bytes) this.ends.shift();
    this.release();
  }

  /** Wakes a waiting sender with `error` (the stream broke). */
  fail(error: unknown): void {
    this.failure = error;
    this.release();
  }

  private release(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
