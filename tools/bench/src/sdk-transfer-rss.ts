#!/usr/bin/env node
// Benchmark: @dfs/sdk uploads and downloads a file of --size through a real
// cluster (startCluster), each transfer in a client process of its own, and
// prints throughput and that process's peak RSS (VmHWM); with --max-rss,
// exits 1 when any transfer's peak is over. Four transfers: upload from a
// local path, upload from a stream (a Readable of unknown length), download
// to a local path, download to a Writable. Not a timed test: throughput is
// printed, never asserted.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createDfsClient } from '@dfs/sdk';
import { startCluster } from '@dfs/test-cluster';
import { runBenchmark, sizeFlag } from './bench-cli.js';
import { fileSha256 } from './file-sha256.js';
import { mib, procMemory } from './proc-memory.js';
import { spawnJson } from './spawn-json.js';
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
    replication: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '4' },
    'max-rss': { type: 'string' },
    // Internal: run one transfer as a client process.
    phase: { type: 'string' },
    coordinator: { type: 'string' },
    local: { type: 'string' },
  },
});

async function main(): Promise<number> {
  if (values.phase) {
    process.stdout.write(JSON.stringify(await runPhase(values.phase as Phase)) + '\n');
    return 0;
  }
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
      const result = await spawnPhase(phase, cluster.coordinator.address, local);
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

/** One transfer, in this (child) process; reports the process's own peak RSS. */
async function runPhase(phase: Phase): Promise<PhaseResult> {
  const dfs = createDfsClient({ coordinators: values.coordinator! });
  const options = { concurrency: Number(values.concurrency) };
  const local = values.local!;
  const started = process.hrtime.bigint();
  let info;
  let sha256: string;
  try {
    switch (phase) {
      case 'upload-file':
        info = await dfs.upload('/bench/from-file', local, options);
        sha256 = info.sha256;
        break;
      case 'upload-stream':
        info = await dfs.upload('/bench/from-stream', createReadStream(local, { highWaterMark: 1024 * 1024 }), options);
        sha256 = info.sha256;
        break;
      case 'download-file':
        info = await dfs.download('/bench/from-file', local, options);
        sha256 = await fileSha256(local);
        break;
      case 'download-stream': {
        const hash = createHash('sha256');
        const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (hash.update(chunk), done()) });
        info = await dfs.download('/bench/from-stream', sink, options);
        sha256 = hash.digest('hex');
        break;
      }
    }
  } finally {
    await dfs.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { phase, bytes: info.size, seconds, peakRss: (await procMemory(process.pid)).peakRss, sha256 };
}

function spawnPhase(phase: Phase, coordinator: string, local: string): Promise<PhaseResult> {
  return spawnJson<PhaseResult>(__filename, ['--phase', phase, '--coordinator', coordinator, '--local', local, '--concurrency', values.concurrency!]);
}

runBenchmark(main);
