import { spawnSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  /** Device and filesystem type of the benchmark's directory, from df. */
  disk: string;
  kernel: string;
  node: string;
  /** 1-minute load average when this was read: other work on the machine shows here. */
  load1: number;
}

/** What the numbers were measured on, for the JSON and the chart's caption. */
export function machineInfo(dir: string): MachineInfo {
  const df = spawnSync('df', ['--output=source,fstype', dir], { encoding: 'utf8' });
  const disk = df.status === 0 ? (df.stdout.trim().split('\n')[1] ?? '').trim().replace(/\s+/g, ' ') : 'unknown';
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    disk,
    kernel: release(),
    node: process.version,
    load1: Number(loadavg()[0]!.toFixed(2)),
  };
}
