import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { workspaceRoot } from '@dfs/test-cluster';
import { datanodePids, MiB, type CaseContext } from './case-context.js';
import { runClientJob } from './client-worker.js';
import { deleteAndWait } from './delete-and-wait.js';
import { peakRssDuring } from './peak-rss-during.js';

/**
 * Small files: uploaded and downloaded with `smallInFlight` at a time, the
 * directory listed with `dfs ls -l` (the built CLI, a new process, as a user
 * runs it) and with the SDK, then deleted recursively with the SDK.
 */
export async function runSmallFilesCase(ctx: CaseContext): Promise<void> {
  const p = ctx.options.plan;
  const coordinator = ctx.cluster.coordinator.address;
  const remoteDir = '/bench-small';
  const job = { kind: 'small-files' as const, coordinator, remoteDir, files: p.smallFiles, fileBytes: p.smallFileBytes, inFlight: p.smallInFlight };
  const { result, peaks } = await peakRssDuring(datanodePids(ctx.cluster), () => runClientJob(job));
  ctx.record('small.upload', p.smallFiles / result.seconds['upload']!);
  ctx.record('small.download', p.smallFiles / result.seconds['download']!);
  ctx.record('small.list-sdk', result.seconds['list']! * 1000);
  ctx.record('small.datanode-rss', Math.max(...peaks) / MiB);

  // Node and oclif start-up is a fixed cost of every CLI call: measured alone so the listing itself shows.
  if (ctx.run === 0) await cliMs(['--version']); // warm-up: the first start reads every module from the disk
  const spawnMs = await cliMs(['--version']);
  const lines: string[] = [];
  const lsMs = await cliMs(['ls', '-l', remoteDir, '--coordinator', coordinator], lines);
  // A header line, then one line per file.
  if (lines.length < p.smallFiles) throw new Error(`dfs ls -l printed ${lines.length} lines for ${p.smallFiles} files`);
  ctx.record('small.cli-spawn', spawnMs);
  ctx.record('small.ls-cli', lsMs);
  ctx.record('small.ls-net', lsMs - spawnMs);

  const deleted = await runClientJob({ kind: 'delete', coordinator, remoteDir });
  if (deleted.files !== p.smallFiles) throw new Error(`the recursive delete removed ${deleted.files} of ${p.smallFiles} files`);
  ctx.record('small.delete-ms', deleted.seconds['main']! * 1000);
  ctx.record('small.delete', p.smallFiles / deleted.seconds['main']!);
  ctx.log(`small files: ${(p.smallFiles / result.seconds['upload']!).toFixed(0)} up/s, ${(p.smallFiles / result.seconds['download']!).toFixed(0)} down/s, ls -l ${lsMs.toFixed(0)} ms`);
  // The files are gone from the namespace; their chunks go now, before the next case starts.
  await deleteAndWait(ctx, remoteDir, true);
}

/** Wall time of one `dfs` CLI call, spawn to exit, in ms; its stdout lines go to `lines`. Rejects on a non-zero exit. */
async function cliMs(args: string[], lines: string[] = []): Promise<number> {
  const bin = join(workspaceRoot(), 'apps/cli/bin/run.js');
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`dfs ${args.join(' ')} exited with code ${code}: ${err.trim()}`);
  lines.push(...out.split('\n').filter((l) => l !== ''));
  return ms;
}
