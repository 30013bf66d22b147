import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A rate limit on bytes: `take(n)` spends n tokens and, when that leaves the
 * bucket in debt, waits until the refill (ratePerSecond) has paid it off.
 * Going into debt instead of waiting for n tokens first means a take larger
 * than the burst is allowed and the long-run rate is exact: over any span t,
 * what callers took is at most ratePerSecond × t + burst + the last take.
 * The bucket starts empty, so even the first bytes are paced.
 */
export class TokenBucket {
  private tokens = 0;
  private last: number;

  /**
   * @param ratePerSecond tokens (bytes) added per second; > 0
   * @param burst most tokens saved up while idle (e.g. between scrub rounds)
   */
  constructor(
    readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate must be a positive number per second, got ${ratePerSecond}`);
    if (!(burst >= 0)) throw new RangeError(`burst must not be negative, got ${burst}`);
    this.last = this.now();
  }

  /** Spends `n` tokens, resolving once the bucket is out of debt; rejects with the signal's reason on abort. */
  async take(n: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.ratePerSecond) / 1000) - n;
    this.last = t;
    // Rounded up: a timer that fires a little early would let the rate creep over.
    if (this.tokens < 0) await sleep(Math.ceil((-this.tokens * 1000) / this.ratePerSecond), undefined, { signal });
  }
}
