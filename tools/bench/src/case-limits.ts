import { BENCH_REPLICATION, type CaseContext } from './case-context.js';
import { measureDiskLimits } from './disk-limits.js';
import { measureHttp2Loopback } from './http2-loopback.js';
import { measureSha256 } from './sha256-limit.js';

/**
 * The machine's limits, in this run, on the disk the cluster writes to: the
 * rows the large-file and scaling figures are divided by.
 */
export async function runLimitsCase(ctx: CaseContext): Promise<{ coldRead: boolean }> {
  const p = ctx.options.plan;
  const disk = await measureDiskLimits(ctx.workDir, p.diskBytes);
  ctx.record('limit.disk-write', disk.writeMBps);
  ctx.record('limit.write-r', disk.writeMBps / BENCH_REPLICATION);
  ctx.record('limit.disk-read', disk.readMBps);
  if (!disk.readCold) ctx.note('the page cache could not be dropped (not root, or /proc/sys read-only): the read limit and the download are WARM reads');
  ctx.record('limit.sha256', measureSha256(p.shaBytes));
  ctx.record('limit.http2', await measureHttp2Loopback(p.http2Bytes));
  ctx.log(`limits: write ${disk.writeMBps.toFixed(0)} MB/s, read ${disk.readMBps.toFixed(0)} MB/s${disk.readCold ? '' : ' (warm)'}`);
  return { coldRead: disk.readCold };
}
