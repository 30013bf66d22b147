#!/usr/bin/env node
// Benchmark: N chunks written concurrently through ONE primary datanode that
// pipelines each to two replicas (R=3). Prints the primary's peak RSS (VmHWM
// from /proc) and throughput; with --max-rss, exits 1 when the peak is over.
// Not a timed test: throughput is printed, never asserted.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createClientPool } from '@dfs/client-pool';
import { DatanodeService, MAX_CHUNK_SIZE, newChunkId } from '@dfs/proto';
import { writeChunkStream } from '@dfs/streamer';
import { startDatanodeProcess, stopAllProcesses, type DatanodeProcess } from '@dfs/test-cluster';
import { runBenchmark, sizeFlag } from './bench-cli.js';
import { BENCH_REPLICATION } from './case-context.js';
import { mib, procMemory } from './proc-memory.js';

const FRAME = 1024 * 1024;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      chunks: { type: 'string', default: '16' },
      'chunk-size': { type: 'string', default: '64MiB' },
      'max-rss': { type: 'string' },
      window: { type: 'string', default: '8' },
      copies: { type: 'string', default: String(BENCH_REPLICATION) },
    },
  });
  const chunks = Number(values.chunks);
  const chunkSize = sizeFlag(values['chunk-size']!, '--chunk-size');
  if (!Number.isInteger(chunks) || chunks < 1 || chunkSize % FRAME !== 0 || chunkSize > MAX_CHUNK_SIZE) {
    throw new Error('--chunks must be >= 1 and --chunk-size a multiple of 1 MiB up to 64 MiB');
  }
  // One node per copy at the default --copies: the primary and its pipeline.
  const nodes: DatanodeProcess[] = await Promise.all(Array.from({ length: BENCH_REPLICATION }, (_, i) => startDatanodeProcess({ name: `bench-dn${i + 1}` })));
  const pool = createClientPool({ timeoutMs: 0 });
  try {
    const [primary, ...others] = nodes as [DatanodeProcess, ...DatanodeProcess[]];
    const copies = Number(values.copies);
    const replicas = others.slice(0, copies - 1);
    const base = await procMemory(primary.pid!);
    // Distinct random frames, reused across chunks: the client's memory stays
    // small and every chunk still has its own checksum.
    const frames = Array.from({ length: 16 }, () => randomBytes(FRAME));
    let sampledPeak = 0;
    const sampler = setInterval(() => {
      procMemory(primary.pid!).then((m) => (sampledPeak = Math.max(sampledPeak, m.rss)), () => undefined);
    }, 50);
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: chunks }, (_, i) =>
        writeChunkStream(pool.client(DatanodeService, primary.ready!.address), {
          chunkId: newChunkId(),
          size: chunkSize,
          pipeline: replicas.map((r) => ({ nodeId: r.ready!.nodeId, address: r.ready!.address }) as never),
          minReplicas: copies,
          windowFrames: Number(values.window),
          frames: (async function* () {
            for (let j = 0; j < chunkSize / FRAME; j++) yield frames[(i + j) % frames.length]!;
          })(),
        }),
      ),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    const primaryMem = await procMemory(primary.pid!);
    const replicaMem = await Promise.all(replicas.map((r) => procMemory(r.pid!)));
    const total = chunks * chunkSize;
    const report = {
      chunks,
      chunkSize,
      copies,
      seconds: Number(seconds.toFixed(2)),
      clientMBps: Number((total / seconds / 1e6).toFixed(1)),
      diskMBps: Number(((copies * total) / seconds / 1e6).toFixed(1)),
      primaryRssAtStart: base.rss,
      primaryPeakRss: primaryMem.peakRss,
      replicaPeakRss: replicaMem.map((m) => m.peakRss),
    };
    process.stdout.write(
      [
        `datanode write benchmark: ${chunks} x ${mib(chunkSize)} concurrently through one primary, R=${copies}`,
        `  time ${report.seconds} s, ${report.clientMBps} MB/s of chunk data (${report.diskMBps} MB/s written across the ${copies} copies)`,
        `  primary peak RSS ${mib(primaryMem.peakRss)} (at start ${mib(base.rss)}; sampled max ${mib(sampledPeak)})`,
        `  replica peak RSS ${replicaMem.map((m) => mib(m.peakRss)).join(', ')}`,
        JSON.stringify(report),
        '',
      ].join('\n'),
    );
    if (values['max-rss'] !== undefined) {
      const limit = sizeFlag(values['max-rss'], '--max-rss');
      if (primaryMem.peakRss > limit) {
        process.stderr.write(`FAIL: primary peak RSS ${mib(primaryMem.peakRss)} is over the ${mib(limit)} limit\n`);
        return 1;
      }
      process.stdout.write(`ok: primary peak RSS ${mib(primaryMem.peakRss)} is under the ${mib(limit)} limit\n`);
    }
    return 0;
  } finally {
    await pool.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await stopAllProcesses();
    await Promise.all(nodes.map((n) => rm(n.dataDir, { recursive: true, force: true })));
  }
}

runBenchmark(main);
