import { setMaxListeners } from 'node:events';

/**
 * Runs `run` for every job (given its index), `parallel` at a time, and hands each result to
 * `report` in job order (a job's line waits for the ones before it), so the
 * output of `put`/`get` with many files reads the same however they finish.
 * The first failure aborts the signal the others got, waits for them to
 * settle, reports every job that did complete (in order, the failed one
 * left out: the user must learn what landed) and is thrown. An abort of
 * `signal` (Ctrl-C) reaches every job the same way.
 */
export async function runJobs<J, R>(
  jobs: readonly J[],
  parallel: number,
  signal: AbortSignal,
  run: (job: J, signal: AbortSignal, index: number) => Promise<R>,
  report: (result: R, job: J) => void,
): Promise<void> {
  const controller = new AbortController();
  // Every job in flight listens on it (the SDK's calls and streams, a few each):
  // more than Node's default of 10 is expected, not a leak.
  setMaxListeners(Math.max(10, parallel * 8), controller.signal);
  const onAbort = () => controller.abort(signal.reason);
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  const results = new Map<number, R>();
  let nextToReport = 0;
  let nextToStart = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && !controller.signal.aborted && nextToStart < jobs.length) {
      const i = nextToStart++;
      try {
        results.set(i, await run(jobs[i]!, controller.signal, i));
        for (; results.has(nextToReport); nextToReport++) {
          const result = results.get(nextToReport)!;
          results.delete(nextToReport);
          report(result, jobs[nextToReport]!);
        }
      } catch (error) {
        // A failed job, or printing failed (a closed stdout): stop the rest.
        failure ??= { error };
        controller.abort(error);
        return;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  for (const i of [...results.keys()].sort((a, b) => a - b)) report(results.get(i)!, jobs[i]!);
  if (failure) throw failure.error;
  // Aborted (Ctrl-C) before every job started: those never ran. (Jobs that
  // were running finished anyway, as a commit under way does.)
  if (nextToStart < jobs.length) throw controller.signal.reason;
}
