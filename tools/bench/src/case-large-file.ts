import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { datanodePids, MiB, type CaseContext } from './case-context.js';
import { runClientJob } from './client-worker.js';
import { deleteAndWait } from './delete-and-wait.js';
import { dropPageCache } from './drop-page-cache.js';
import { peakRssDuring } from './peak-rss-during.js';
import { procCpuSeconds } from './proc-cpu.js';

/**
 * The large file: uploaded from a local file with the SDK, then downloaded
 * to a local file with the page cache dropped first (so the datanodes read
 * their chunk files from the disk), each in a client process of its own.
 * Also the peak RSS of that client and of the datanodes during each.
 */
export async function runLargeFileCase(ctx: CaseContext): Promise<void> {
  const coordinator = ctx.cluster.coordinator.address;
  const remote = '/bench/large.bin';
  const pids = datanodePids(ctx.cluster);
  const up = await clusterCpuDuring(ctx, pids, () => peakRssDuring(pids, () => runClientJob({ kind: 'upload', coordinator, local: ctx.fixtures.largeFile, remote })));
  if (up.result.sha256 !== ctx.fixtures.largeSha256) throw new Error(`the uploaded file's SHA-256 is ${up.result.sha256}, not the source's ${ctx.fixtures.largeSha256}`);
  ctx.record('large.upload', up.result.bytes / 1e6 / up.result.seconds['main']!);
  ctx.record('large.upload-client-rss', up.result.peakRss / MiB);
  ctx.record('large.upload-datanode-rss', Math.max(...up.peaks) / MiB);
  recordCpu(ctx, 'upload', up.result.bytes, up.result.cpuSeconds!, up.cpu);

  const local = join(ctx.workDir, 'downloaded.bin');
  if (!(await dropPageCache())) ctx.note('the page cache could not be dropped before the download: it read chunks from memory (warm)');
  const down = await clusterCpuDuring(ctx, pids, () => peakRssDuring(pids, () => runClientJob({ kind: 'download', coordinator, remote, local })));
  ctx.record('large.download', down.result.bytes / 1e6 / down.result.seconds['main']!);
  ctx.record('large.download-client-rss', down.result.peakRss / MiB);
  ctx.record('large.download-datanode-rss', Math.max(...down.peaks) / MiB);
  recordCpu(ctx, 'download', down.result.bytes, down.result.cpuSeconds!, down.cpu);
  ctx.log(`large file: upload ${(up.result.bytes / 1e6 / up.result.seconds['main']!).toFixed(1)} MB/s, download ${(down.result.bytes / 1e6 / down.result.seconds['main']!).toFixed(1)} MB/s`);

  await rm(local, { force: true });
  await deleteAndWait(ctx, '/bench');
}

/** CPU seconds the coordinator and the datanodes (together) used while `fn` ran. */
async function clusterCpuDuring<T>(ctx: CaseContext, pids: number[], fn: () => Promise<T>): Promise<T & { cpu: { datanodes: number; coordinator: number } }> {
  const coordinatorPid = ctx.cluster.coordinator.process.pid!;
  const read = async () => ({ datanodes: (await Promise.all(pids.map(procCpuSeconds))).reduce((a, b) => a + b, 0), coordinator: await procCpuSeconds(coordinatorPid) });
  const before = await read();
  const result = await fn();
  const after = await read();
  return { ...result, cpu: { datanodes: after.datanodes - before.datanodes, coordinator: after.coordinator - before.coordinator } };
}

/**
 * Where a transfer's CPU went, per GB moved, and the throughput all of the
 * machine's cores could sustain at that cost: on a machine where every
 * process shares a few cores, this ceiling, not the disk, is the limit.
 */
function recordCpu(ctx: CaseContext, kind: 'upload' | 'download', bytes: number, client: number, cluster: { datanodes: number; coordinator: number }): void {
  const gb = bytes / 1e9;
  const total = client + cluster.datanodes + cluster.coordinator;
  ctx.record(`large.${kind}-cpu-client`, client / gb);
  ctx.record(`large.${kind}-cpu-datanodes`, cluster.datanodes / gb);
  ctx.record(`large.${kind}-cpu-coordinator`, cluster.coordinator / gb);
  ctx.record(`large.${kind}-cpu-ceiling`, (availableParallelism() * bytes) / 1e6 / total);
}
