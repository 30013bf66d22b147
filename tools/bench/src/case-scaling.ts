import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { datanodePids, MiB, type CaseContext } from './case-context.js';
import { runClientJob } from './client-worker.js';
import { deleteAndWait } from './delete-and-wait.js';
import { peakRssDuring } from './peak-rss-during.js';

/**
 * Upload throughput with 1, 2, 4 and 8 files at once from one client
 * process (one SDK client; each file its own upload asking for the SDK's
 * default 4 chunks in flight, all sharing the client's 8 chunk-write slots):
 * total bytes over the time until the last commit.
 */
export async function runScalingCase(ctx: CaseContext): Promise<void> {
  const p = ctx.options.plan;
  const coordinator = ctx.cluster.coordinator.address;
  const dnPeaks: number[] = [];
  for (const files of p.scalingLevels) {
    const remoteDir = `/bench-scaling-${files}`;
    const { result, peaks } = await peakRssDuring(datanodePids(ctx.cluster), () =>
      runClientJob({ kind: 'parallel-upload', coordinator, local: ctx.fixtures.scalingFile, remoteDir, files }),
    );
    const mbps = result.bytes / 1e6 / result.seconds['main']!;
    ctx.record(`scaling.upload-${files}`, mbps);
    dnPeaks.push(...peaks);
    ctx.log(`scaling: ${files} in parallel, ${mbps.toFixed(1)} MB/s`);
    if (files === Math.max(...p.scalingLevels)) {
      ctx.record('scaling.client-rss', result.peakRss / MiB);
      await downloadInParallel(ctx, remoteDir, files);
    }
    await deleteAndWait(ctx, remoteDir);
  }
  ctx.record('scaling.datanode-rss', Math.max(...dnPeaks) / MiB);
}

/** The files of the widest level downloaded at once to local files (from the page cache, not cold): bounded client memory. */
async function downloadInParallel(ctx: CaseContext, remoteDir: string, files: number): Promise<void> {
  const localDir = await mkdtemp(join(ctx.workDir, 'parallel-download-'));
  try {
    const result = await runClientJob({ kind: 'parallel-download', coordinator: ctx.cluster.coordinator.address, remoteDir, localDir, files });
    const mbps = result.bytes / 1e6 / result.seconds['main']!;
    ctx.record(`scaling.download-${files}`, mbps);
    ctx.record('scaling.download-client-rss', result.peakRss / MiB);
    ctx.log(`scaling: ${files} downloaded in parallel, ${mbps.toFixed(1)} MB/s`);
  } finally {
    await rm(localDir, { recursive: true, force: true });
  }
}
