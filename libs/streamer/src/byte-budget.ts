/**
 * A shared budget of bytes in flight, handed out first come, first served.
 * A datanode takes from it for every frame it has accepted but not yet fully
 * stored (and, on a primary, not yet acknowledged by every replica), so the
 * memory of all writes together stays bounded however many run at once: a
 * write that cannot get budget stops reading, and HTTP/2 flow control then
 * holds its client back.
 */
export class ByteBudget {
  private available: number;
  private readonly waiters: Array<{ bytes: number; resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`budget must be a positive whole number of bytes, got ${capacity}`);
    this.available = capacity;
  }

  get inUse(): number {
    return this.capacity - this.available;
  }

  /** Callers waiting in acquire(). */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * Waits until `bytes` are available (a request larger than the whole budget
   * waits for all of it, so it cannot starve). Rejects with the signal's reason on abort.
   */
  async acquire(bytes: number, signal?: AbortSignal): Promise<void> {
    const want = Math.min(bytes, this.capacity);
    if (this.waiters.length === 0 && this.available >= want) {
      this.available -= want;
      return;
    }
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { bytes: want, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
          this.grant();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.available = Math.min(this.capacity, this.available + Math.min(bytes, this.capacity));
    this.grant();
  }

  private grant(): void {
    while (this.waiters.length > 0 && this.available >= this.waiters[0]!.bytes) {
      const w = this.waiters.shift()!;
      this.available -= w.bytes;
      if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
  }
}
