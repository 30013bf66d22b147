import { datanodePids, MiB, type CaseContext } from './case-context.js';
import { runClientJob } from './client-worker.js';
import { deleteAndWait } from './delete-and-wait.js';
import { peakRssDuring } from './peak-rss-during.js';

/**
 * Upload throughput with 1, 2, 4 and 8 files at once from one client
 * process (one SDK client, each file its own upload with the SDK's default
 * 4 chunks in flight): total bytes over the time until the last commit.
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
    if (files === Math.max(...p.scalingLevels)) ctx.record('scaling.client-rss', result.peakRss / MiB);
    ctx.log(`scaling: ${files} in parallel, ${mbps.toFixed(1)} MB/s`);
    await deleteAndWait(ctx, remoteDir);
  }
  ctx.record('scaling.datanode-rss', Math.max(...dnPeaks) / MiB);
}
