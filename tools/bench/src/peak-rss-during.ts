import { procMemory, resetPeakRss } from './proc-memory.js';

/**
 * Runs `fn` and returns, with its result, the peak RSS in bytes of each
 * process in `pids` while it ran. The kernel's own peak (VmHWM, reset
 * first) catches every spike; where the reset is refused, RSS sampled every
 * 100 ms stands in for it (and may miss a short spike).
 */
export async function peakRssDuring<T>(pids: readonly number[], fn: () => Promise<T>): Promise<{ result: T; peaks: number[] }> {
  const reset = await Promise.all(pids.map((pid) => resetPeakRss(pid)));
  const sampled = pids.map(() => 0);
  const sample = () =>
    Promise.all(
      pids.map(async (pid, i) => {
        const m = await procMemory(pid).catch(() => undefined);
        if (m) sampled[i] = Math.max(sampled[i]!, m.rss);
      }),
    );
  const timer = reset.every(Boolean) ? undefined : setInterval(() => void sample(), 100);
  try {
    const result = await fn();
    await sample();
    const peaks = await Promise.all(pids.map(async (pid, i) => (reset[i] ? (await procMemory(pid)).peakRss : sampled[i]!)));
    return { result, peaks };
  } finally {
    clearInterval(timer);
  }
}
