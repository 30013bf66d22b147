// The SDK side of the benchmarks (bench-run's cases and sdk-transfer-rss),
// in a client process of its own so that its peak RSS (VmHWM) is the
// client's alone and its CPU profile (bench-run --profile) shows only the
// client. Run as a script with --job '<json>' it does one job and prints the
// result as JSON; runClientJob() spawns it.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { SERVICE_NODE_ARGS } from '@dfs/config';
import { createDfsClient, type DfsClient } from '@dfs/sdk';
import { inParallel } from './in-parallel.js';
import { procMemory } from './proc-memory.js';
import { spawnJson } from './spawn-json.js';

/** Jobs of one transfer take the SDK's `concurrency` option (its default when left out). */
export type ClientJob =
  | { kind: 'upload'; coordinator: string; local: string; remote: string; concurrency?: number }
  /** The local file read through a Readable: a source of unknown length, which the SDK spools chunk by chunk. */
  | { kind: 'upload-stream'; coordinator: string; local: string; remote: string; concurrency?: number }
  | { kind: 'download'; coordinator: string; remote: string; local: string; concurrency?: number }
  /** Downloaded to a Writable that hashes what it receives: `sha256` is of the bytes that arrived. */
  | { kind: 'download-stream'; coordinator: string; remote: string; concurrency?: number }
  /** The same local file uploaded to `files` paths at once, each an upload of its own. */
  | { kind: 'parallel-upload'; coordinator: string; local: string; remoteDir: string; files: number }
  | { kind: 'parallel-download'; coordinator: string; remoteDir: string; localDir: string; files: number }
  /** Distinct random files uploaded, then downloaded, `inFlight` at a time; then the directory listed once. */
  | { kind: 'small-files'; coordinator: string; remoteDir: string; files: number; fileBytes: number; inFlight: number }
  | { kind: 'delete'; coordinator: string; remoteDir: string };

export interface ClientJobResult {
  /** Bytes moved (uploads and downloads). */
  bytes: number;
  /** Duration of the measured operation(s) in seconds, keyed by phase: `main`, or upload/download/list for small files. */
  seconds: Record<string, number>;
  /** CPU time (user + system, all threads) of this process during `main`, in seconds. */
  cpuSeconds?: number;
  /** The client process's peak RSS in bytes, read at the end (VmHWM). */
  peakRss: number;
  sha256?: string;
  /** Files deleted (delete jobs). */
  files?: number;
}

/**
 * Runs `job` in a new client process, with the Node flags the SDK README
 * recommends to applications that move large files: the services' own
 * (see SERVICE_NODE_ARGS for why).
 */
export function runClientJob(job: ClientJob): Promise<ClientJobResult> {
  return spawnJson<ClientJobResult>(__filename, ['--job', JSON.stringify(job)], { nodeArgs: SERVICE_NODE_ARGS });
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number, number]> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return [value, (performance.now() - started) / 1000, (used.user + used.system) / 1e6];
}

async function doJob(dfs: DfsClient, job: ClientJob): Promise<Omit<ClientJobResult, 'peakRss'>> {
  switch (job.kind) {
    case 'upload':
    case 'upload-stream': {
      const source = job.kind === 'upload' ? job.local : createReadStream(job.local, { highWaterMark: 1024 * 1024 });
      const [info, s, cpu] = await timed(() => dfs.upload(job.remote, source, { overwrite: true, concurrency: job.concurrency }));
      return { bytes: info.size, seconds: { main: s }, cpuSeconds: cpu, sha256: info.sha256 };
    }
    case 'download': {
      const [info, s, cpu] = await timed(() => dfs.download(job.remote, job.local, { concurrency: job.concurrency }));
      return { bytes: info.size, seconds: { main: s }, cpuSeconds: cpu, sha256: info.sha256 };
    }
    case 'download-stream': {
      // Hashed here rather than trusting info.sha256: the check is of what the Writable was given.
      const hash = createHash('sha256');
      const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (hash.update(chunk), done()) });
      const [info, s, cpu] = await timed(() => dfs.download(job.remote, sink, { concurrency: job.concurrency }));
      return { bytes: info.size, seconds: { main: s }, cpuSeconds: cpu, sha256: hash.digest('hex') };
    }
    case 'parallel-upload': {
      const [infos, s] = await timed(() =>
        Promise.all(Array.from({ length: job.files }, (_, i) => dfs.upload(`${job.remoteDir}/f${i}`, job.local, { overwrite: true }))),
      );
      return { bytes: infos.reduce((a, f) => a + f.size, 0), seconds: { main: s } };
    }
    case 'parallel-download': {
      const [infos, s] = await timed(() => Promise.all(Array.from({ length: job.files }, (_, i) => dfs.download(`${job.remoteDir}/f${i}`, join(job.localDir, `f${i}`)))));
      return { bytes: infos.reduce((a, f) => a + f.size, 0), seconds: { main: s } };
    }
    case 'small-files':
      return smallFiles(dfs, job);
    case 'delete': {
      // One cheap call first, so the timing below is the delete and not the connection setup.
      await dfs.stat('/');
      const [{ filesDeleted }, s] = await timed(() => dfs.delete(job.remoteDir, { recursive: true }));
      return { bytes: 0, seconds: { main: s }, files: filesDeleted };
    }
  }
}

async function smallFiles(dfs: DfsClient, job: Extract<ClientJob, { kind: 'small-files' }>): Promise<Omit<ClientJobResult, 'peakRss'>> {
  // Distinct contents, generated before the clock starts; every file has its own chunk and checksum.
  const contents = Array.from({ length: job.files }, () => randomBytes(job.fileBytes));
  const sums = new Array<string>(job.files);
  const path = (i: number) => `${job.remoteDir}/f${String(i).padStart(5, '0')}`;
  await dfs.stat('/');
  const [, upload] = await timed(() => inParallel(job.files, job.inFlight, async (i) => void (sums[i] = (await dfs.upload(path(i), contents[i]!, { overwrite: true })).sha256)));
  const [, download] = await timed(() =>
    inParallel(job.files, job.inFlight, async (i) => {
      let received = 0;
      // The SDK checks each block and the whole file's SHA-256; the size check here catches a wrong file.
      const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((received += chunk.length), done()) });
      const info = await dfs.download(path(i), sink);
      if (received !== job.fileBytes || info.sha256 !== sums[i]) throw new Error(`${path(i)}: got ${received} bytes, sha256 ${info.sha256}`);
    }),
  );
  const [listed, list] = await timed(async () => {
    let n = 0;
    for await (const _ of dfs.list(job.remoteDir)) n++;
    return n;
  });
  if (listed !== job.files) throw new Error(`listed ${listed} of ${job.files} files`);
  return { bytes: 2 * job.files * job.fileBytes, seconds: { upload, download, list } };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--job');
  const job = JSON.parse(process.argv[i + 1]!) as ClientJob;
  // A job of one transfer with its own concurrency gets the client's whole budget for it, as the CLI's --concurrency does.
  const concurrency = 'concurrency' in job ? job.concurrency : undefined;
  const slots = concurrency === undefined ? {} : { maxChunkWrites: concurrency, maxChunkReads: concurrency };
  const dfs = createDfsClient({ coordinators: job.coordinator, ...slots });
  let result;
  try {
    result = await doJob(dfs, job);
  } finally {
    await dfs.close();
  }
  process.stdout.write(JSON.stringify({ ...result, peakRss: (await procMemory(process.pid)).peakRss }) + '\n');
}

if (require.main === module) {
  main().then(
    // process.exit also writes the --cpu-prof profile.
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`client job failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
