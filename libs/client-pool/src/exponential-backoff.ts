import type { DfsError } from '@dfs/proto';
import type { RetryPolicy } from './retry-policy.js';

/** Tuning of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** Delay ceiling after the first failure; doubles after each further one. Default: 100 ms. */
  baseMs: number;
  /** Cap on the delay ceiling. Default: 5000 ms. */
  maxMs: number;
  /** Attempts in all, the first included; 1 means no retry. Default: 5. */
  maxAttempts: number;
  /**
   * `full`: wait a random time between 0 and the ceiling, so clients that
   * failed together do not retry together. `none`: wait the ceiling exactly.
   * Default: `full`.
   */
  jitter: 'full' | 'none';
  /** Source of randomness in [0, 1) for jitter. Default: `Math.random`. */
  random: () => number;
}

/**
 * Retries errors marked retryable, waiting min(maxMs, baseMs * 2^(attempt-1))
 * ("full jitter" by default), up to maxAttempts attempts in all.
 */
export function exponentialBackoff(options: Partial<ExponentialBackoffOptions> = {}): RetryPolicy {
  const { baseMs = 100, maxMs = 5000, maxAttempts = 5, jitter = 'full', random = Math.random } = options;
  if (!(baseMs >= 0 && maxMs >= 0 && maxAttempts >= 1)) {
    throw new RangeError(`exponentialBackoff: expected baseMs >= 0, maxMs >= 0 and maxAttempts >= 1, got ${baseMs}, ${maxMs}, ${maxAttempts}`);
  }
  return {
    nextDelayMs(error: DfsError, attempt: number): number | undefined {
      if (!error.retryable || attempt >= maxAttempts) return undefined;
      const ceiling = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
      return jitter === 'full' ? Math.floor(random() * ceiling) : ceiling;
    },
  };
}
