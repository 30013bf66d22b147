import { readFile, writeFile } from 'node:fs/promises';

/** Resident and peak resident memory of a process, in bytes, from /proc (Linux). */
export async function procMemory(pid: number): Promise<{ rss: number; peakRss: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
}

/**
 * Resets a process's peak RSS (VmHWM) to its current RSS, so that the next
 * procMemory() reports the peak of what ran in between: writing 5 to
 * /proc/PID/clear_refs (Linux 4.0+; needs the right to ptrace the process,
 * which the user that started it has). False when the kernel refused.
 */
export async function resetPeakRss(pid: number): Promise<boolean> {
  return writeFile(`/proc/${pid}/clear_refs`, '5').then(
    () => true,
    () => false,
  );
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
