import { Code, DfsError } from '@dfs/proto';

/**
 * Waits `ms`, or rejects as soon as `signal` aborts: with DeadlineExceeded
 * when the signal is a timeout (AbortSignal.timeout), Canceled otherwise.
 * The timer is not unref'd: a pending retry is work the process still has to do.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error a call ends with when its signal aborts outside of an RPC. */
export function abortError(signal: AbortSignal): DfsError {
  const reason: unknown = signal.reason;
  // By name, not instanceof: the reason may be a DOMException of another realm.
  if ((reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
    return new DfsError(Code.DeadlineExceeded, 'the call timed out before it could be retried', { cause: reason, retryable: false });
  }
  return new DfsError(Code.Canceled, 'the call was canceled', { cause: reason });
}
