import { DfsError } from '@dfs/proto';

/**
 * Decides whether, and after how long, a failed call is tried again. Policies
 * are objects so callers can inject them (tests use {@link noRetry} or a fast
 * backoff) instead of scattering retry loops through the code.
 */
export interface RetryPolicy {
  /**
   * Milliseconds to wait before attempt `attempt + 1`, or undefined to give up.
   * `attempt` is the 1-based number of the attempt that just failed with `error`.
   */
  nextDelayMs(error: DfsError, attempt: number): number | undefined;
}

/** Never retries: the first failure is final. */
export const noRetry: RetryPolicy = Object.freeze({ nextDelayMs: () => undefined });

/**
 * True when repeating the same call may succeed: Unavailable (including a
 * connection that could not be made), DeadlineExceeded, ResourceExhausted, or
 * an error explicitly marked so. Decided by codes and markings, never by
 * matching messages; the same test ClientPool.call applies.
 */
export function isRetryable(err: unknown): boolean {
  return DfsError.from(err).retryable;
}
