/**
 * Measures how long this process's event loop was blocked (a long
 * synchronous transaction, a GC pause, a stopped process): time in which no
 * heartbeat could be received. A timer fires every `intervalMs`; a gap of
 * more than `slackIntervals` intervals between fires (or up to now, when
 * asked) counts as stalled beyond one interval. Asking also sees a stall that
 * is only just over: after a long block, libuv runs expired timers in the
 * order they were due, and the membership tick may come before our timer.
 */
export class StallMeter {
  private last: number;
  private stalled = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly intervalMs = 250,
    private readonly slackIntervals = 4,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.last = clock();
    this.timer = setInterval(() => this.observe(), intervalMs).unref();
  }

  /** Milliseconds the loop was blocked since the last call, and resets the count. */
  take(): number {
    this.observe();
    const stalled = this.stalled;
    this.stalled = 0;
    return stalled;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private observe(): void {
    const now = this.clock();
    const gap = now - this.last;
    if (gap > this.intervalMs * this.slackIntervals) this.stalled += gap - this.intervalMs;
    this.last = now;
  }
}
