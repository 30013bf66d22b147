import { readFile } from 'node:fs/promises';

/** Resident and peak resident memory of a process, in bytes, from /proc (Linux). */
export async function procMemory(pid: number): Promise<{ rss: number; peakRss: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
