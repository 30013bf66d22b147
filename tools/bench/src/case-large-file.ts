import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { datanodePids, MiB, type CaseContext } from './case-context.js';
import { runClientJob } from './client-worker.js';
import { deleteAndWait } from './delete-and-wait.js';
import { dropPageCache } from './drop-page-cache.js';
import { peakRssDuring } from './peak-rss-during.js';

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
  const up = await peakRssDuring(pids, () => runClientJob({ kind: 'upload', coordinator, local: ctx.fixtures.largeFile, remote }));
  if (up.result.sha256 !== ctx.fixtures.largeSha256) throw new Error(`the uploaded file's SHA-256 is ${up.result.sha256}, not the source's ${ctx.fixtures.largeSha256}`);
  ctx.record('large.upload', up.result.bytes / 1e6 / up.result.seconds['main']!);
  ctx.record('large.upload-client-rss', up.result.peakRss / MiB);
  ctx.record('large.upload-datanode-rss', Math.max(...up.peaks) / MiB);

  const local = join(ctx.workDir, 'downloaded.bin');
  if (!(await dropPageCache())) ctx.note('the page cache could not be dropped before the download: it read chunks from memory (warm)');
  const down = await peakRssDuring(pids, () => runClientJob({ kind: 'download', coordinator, remote, local }));
  ctx.record('large.download', down.result.bytes / 1e6 / down.result.seconds['main']!);
  ctx.record('large.download-client-rss', down.result.peakRss / MiB);
  ctx.record('large.download-datanode-rss', Math.max(...down.peaks) / MiB);
  ctx.log(`large file: upload ${(up.result.bytes / 1e6 / up.result.seconds['main']!).toFixed(1)} MB/s, download ${(down.result.bytes / 1e6 / down.result.seconds['main']!).toFixed(1)} MB/s`);

  await rm(local, { force: true });
  await deleteAndWait(ctx, '/bench');
}
