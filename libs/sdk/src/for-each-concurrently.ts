import { setMaxListeners } from 'node:events';
import { Code, DfsError as WireError } from '@dfs/proto';

/**
 * Runs `task` for each item of `items`, at most `concurrency` at a time,
 * pulling the next item only when a slot is free (so a producer that reads a
 * stream runs ahead by exactly one item, overlapping the tasks in flight).
 * The first failure aborts the signal every task got, waits for the tasks in
 * flight to settle, closes the source and rethrows it; an abort of `signal`
 * does the same with Canceled. Tasks must honour the signal they are given.
 * `items` may be a function of that signal: a producer blocked on its own
 * input (a stalled stream) then stops on a failure of a task too, not only
 * on the caller's abort, since the source's return() is only queued behind
 * its pending step and never waited for.
 */
export async function forEachConcurrently<T>(
  items: AsyncIterable<T> | ((signal: AbortSignal) => AsyncIterable<T>),
  concurrency: number,
  task: (item: T, signal: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  // Every task in flight listens on it (its streams and calls, a few each):
  // with more than a handful of tasks that is expected, not a leak to warn of.
  setMaxListeners(Math.max(10, concurrency * 4), controller.signal);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });

  const source = (typeof items === 'function' ? items(controller.signal) : items)[Symbol.asyncIterator]();
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    controller.abort(error);
  };
  let sourceDone = false;
  try {
    while (!failure && !controller.signal.aborted) {
      if (running.size >= concurrency) {
        await Promise.race(running);
        continue;
      }
      let next: IteratorResult<T>;
      try {
        next = await untilAborted(source.next(), controller.signal);
      } catch (err) {
        if (!controller.signal.aborted) fail(err);
        break;
      }
      if (next.done) {
        sourceDone = true;
        break;
      }
      const run: Promise<void> = task(next.value, controller.signal).then(
        () => void running.delete(run),
        (err: unknown) => {
          running.delete(run);
          fail(err);
        },
      );
      running.add(run);
    }
    await Promise.all(running);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // A source blocked on a stalled stream may never settle its return(): do not wait for it.
    if (!sourceDone) void Promise.resolve(source.return?.()).catch(() => undefined);
  }
  // The caller's abort explains every failure it caused.
  if (signal?.aborted) throw canceled(signal);
  if (failure) throw failure.error;
}

/** `promise`, or a rejection as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(canceled(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(canceled(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** The error an operation ends with when its signal aborts. */
export function canceled(signal: AbortSignal): WireError {
  const reason: unknown = signal.reason;
  if ((reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
    return new WireError(Code.DeadlineExceeded, 'the operation timed out (its signal fired)', { cause: reason, retryable: false });
  }
  return new WireError(Code.Canceled, 'the operation was canceled', { cause: reason });
}
