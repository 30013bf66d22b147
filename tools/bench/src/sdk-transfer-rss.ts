#!/usr/bin/env node
// Benchmark: @dfs/sdk uploads and downloads a file of --size through a real
// cluster (startCluster), each transfer in a client process of its own
// (client-worker's runClientJob, with the Node flags the SDK README
// recommends), and prints throughput and that process's peak RSS (VmHWM);
// with --max-rss, exits 1 when any transfer's peak is over. Four transfers:
// upload from a local path, upload from a stream (a Readable of unknown
// length), download to a local path, download to a Writable. Not a timed
// test: throughput is printed, never asserted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from '@dfs/test-cluster';
import { runBenchmark, sizeFlag } from './bench-cli.js';
import { BENCH_REPLICATION } from './case-context.js';
import { runClientJob, type ClientJob } from './client-worker.js';
import { fileSha256 } from './file-sha256.js';
import { mib } from './proc-memory.js';
import { writeRandomFile } from './write-random-file.js';

const PHASES = ['upload-file', 'upload-stream', 'download-file', 'download-stream'] as const;
type Phase = (typeof PHASES)[number];

interface PhaseResult {
  phase: Phase;
  bytes: number;
  seconds: number;
  peakRss: number;
  sha256: string;
}

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '2GiB' },
    'chunk-size': { type: 'string', default: '8MiB' },
    replication: { type: 'string', default: String(BENCH_REPLICATION) },
    concurrency: { type: 'string', default: '4' },
    'max-rss': { type: 'string' },
  },
});

async function main(): Promise<number> {
  const size = sizeFlag(values.size!, '--size');
  const chunkSize = sizeFlag(values['chunk-size']!, '--chunk-size');
  const replication = Number(values.replication);
  const dir = await mkdtemp(join(tmpdir(), 'dfs-sdk-bench-'));
  const cluster = await startCluster({ datanodes: Math.max(3, replication), replication, chunkSize, name: 'sdk-bench' });
  try {
    const source = join(dir, 'source.bin');
    const sourceSha = await writeRandomFile(source, size);
    const results: PhaseResult[] = [];
    for (const phase of PHASES) {
      const local = phase === 'download-file' ? join(dir, 'downloaded.bin') : source;
      const result = await runPhase(phase, cluster.coordinator.address, local);
      if (result.sha256 !== sourceSha) throw new Error(`${phase}: SHA-256 ${result.sha256}, expected ${sourceSha}`);
      if (phase === 'download-file') await rm(local);
      results.push(result);
    }
    process.stdout.write(`sdk transfer benchmark: ${mib(size)} file, ${mib(chunkSize)} chunks, R=${replication}, concurrency ${values.concurrency}\n`);
    for (const r of results) {
      process.stdout.write(`  ${r.phase.padEnd(16)} ${r.seconds.toFixed(2).padStart(7)} s  ${(r.bytes / r.seconds / 1e6).toFixed(1).padStart(7)} MB/s  client peak RSS ${mib(r.peakRss)}\n`);
    }
    process.stdout.write(JSON.stringify({ size, chunkSize, replication, results }) + '\n');
    if (values['max-rss'] !== undefined) {
      const limit = sizeFlag(values['max-rss'], '--max-rss');
      const over = results.filter((r) => r.peakRss > limit);
      if (over.length > 0) {
        process.stderr.write(`FAIL: client peak RSS over the ${mib(limit)} limit: ${over.map((r) => `${r.phase} ${mib(r.peakRss)}`).join(', ')}\n`);
        return 1;
      }
      process.stdout.write(`ok: every client's peak RSS is under the ${mib(limit)} limit\n`);
    }
    return 0;
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One transfer in a client process of its own; the phase's job and what it reports. */
async function runPhase(phase: Phase, coordinator: string, local: string): Promise<PhaseResult> {
  const concurrency = Number(values.concurrency);
  const jobs: Record<Phase, ClientJob> = {
    'upload-file': { kind: 'upload', coordinator, local, remote: '/bench/from-file', concurrency },
    'upload-stream': { kind: 'upload-stream', coordinator, local, remote: '/bench/from-stream', concurrency },
    'download-file': { kind: 'download', coordinator, remote: '/bench/from-file', local, concurrency },
    'download-stream': { kind: 'download-stream', coordinator, remote: '/bench/from-stream', concurrency },
  };
  const { bytes, seconds, peakRss, sha256 } = await runClientJob(jobs[phase]);
  // A downloaded file is hashed from the disk, here (after the client's peak RSS and time are taken):
  // the check is of the bytes that landed, not of the SDK's report.
  const landed = phase === 'download-file' ? await fileSha256(local) : sha256!;
  return { phase, bytes, seconds: seconds['main']!, peakRss, sha256: landed };
}

runBenchmark(main);
