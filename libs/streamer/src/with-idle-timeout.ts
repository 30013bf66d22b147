import { Code, DfsError, isDfsError } from '@dfs/proto';

export interface IdleTimeoutOptions {
  /** Longest wait for the next item, in ms. 0 disables the timer. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** Names the stream in the error message, e.g. "chunk 0f3a… from 127.0.0.1:9001". */
  what: string;
}

/**
 * Iterates `source`, failing with DeadlineExceeded (IDLE_TIMEOUT) when no item
 * arrives within the idle timeout, and with Canceled when `signal` aborts. A
 * stalled peer (SIGSTOP, a dead link that TCP has not noticed) thus ends the
 * stream instead of hanging it. The source is returned (closed) either way.
 */
export async function* withIdleTimeout<T>(source: AsyncIterable<T>, options: IdleTimeoutOptions): AsyncGenerator<T> {
  const { idleTimeoutMs, signal, what } = options;
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const next = await raceNext(it.next(), idleTimeoutMs, signal, what);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } catch (err) {
    if (signal?.aborted && !isDeadline(err)) {
      throw isDfsError(signal.reason) ? signal.reason : new DfsError(Code.Canceled, `${what}: canceled`, { cause: signal.reason ?? err });
    }
    throw err;
  } finally {
    if (!finished) {
      // Do not await: a stalled source may never settle its return().
      void Promise.resolve(it.return?.()).catch(() => undefined);
    }
  }
}

function isDeadline(err: unknown): boolean {
  return err instanceof DfsError && err.reason === 'IDLE_TIMEOUT';
}

function raceNext<T>(next: Promise<IteratorResult<T>>, ms: number, signal: AbortSignal | undefined, what: string): Promise<IteratorResult<T>> {
  if (ms <= 0 && !signal) return next;
  return new Promise((resolve, reject) => {
    const timer =
      ms > 0
        ? setTimeout(() => {
            cleanup();
            reject(new DfsError(Code.DeadlineExceeded, `${what}: no data for ${ms} ms; the peer is stalled or gone`, { reason: 'IDLE_TIMEOUT' }));
          }, ms)
        : undefined;
    const onAbort = () => {
      cleanup();
      // An abort that carries a DfsError (a shutdown, a watchdog) says why better than "canceled".
      reject(isDfsError(signal?.reason) ? signal!.reason : new DfsError(Code.Canceled, `${what}: canceled`, { cause: signal?.reason }));
    };
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    next.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e) => {
        cleanup();
        reject(e);
      },
    );
  });
}
