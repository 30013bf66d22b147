#!/usr/bin/env node
// `npm run bench`: DFS measured against the limits of the machine it runs
// on, in the same run. Starts a local cluster (three datanodes, R=3), runs
// every case --runs times (run 1 does every case, then run 2 …, so a
// machine that slows down mid-way skews every row alike), and prints a
// table of median, min and max per row, each row's ratio to its limit and
// the targets of issue 7. Writes JSON, Markdown and an SVG chart under
// tools/bench/results/. Missed targets are printed, never a failure: only
// errors exit non-zero (so `--quick` can run in `npm test`).
//
//   node tools/bench/dist/bench-run.js [--metadata embedded|etcd] [--runs 3] [--quick] [--cases …]
import { loadavg } from 'node:os';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startCluster } from '@dfs/test-cluster';
import { runBenchmark } from './bench-cli.js';
import { parseBenchOptions, type BenchOptions, type CaseName } from './bench-options.js';
import { runCoordinatorMemoryCase } from './case-coordinator-memory.js';
import { BENCH_REPLICATION, type CaseContext } from './case-context.js';
import { runHeartbeatsCase } from './case-heartbeats.js';
import { runLargeFileCase } from './case-large-file.js';
import { runLimitsCase } from './case-limits.js';
import { runMetadataCase } from './case-metadata.js';
import { runScalingCase } from './case-scaling.js';
import { runSmallFilesCase } from './case-small-files.js';
import { evaluateRows, type RunValues } from './evaluate-rows.js';
import { formatTextTable } from './format-results-table.js';
import { machineInfo } from './machine-info.js';
import { rowSpecs } from './row-specs.js';
import { writeRandomFile } from './write-random-file.js';
import { writeResults } from './write-results.js';

const CASE_RUNNERS: Record<CaseName, (ctx: CaseContext) => Promise<unknown>> = {
  limits: runLimitsCase,
  large: runLargeFileCase,
  small: runSmallFilesCase,
  scaling: runScalingCase,
  metadata: runMetadataCase,
  heartbeats: runHeartbeatsCase,
  'coordinator-memory': runCoordinatorMemoryCase,
};

/** Cases run once whatever --runs says: a million commits through the RPCs take many minutes. */
const ONCE: ReadonlySet<CaseName> = new Set(['coordinator-memory']);

/** The cluster's temp directory, removed on Ctrl-C (it holds gigabytes of chunks). */
let clusterDir: string | undefined;

const benchStarted = performance.now();
function log(text: string): void {
  process.stderr.write(`[bench ${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  // Profiles: every Node process started from here on (cluster, client workers, the CLI …) loads
  // cpu-profile-preload.js through NODE_OPTIONS, which Node 20 does not allow --cpu-prof in.
  const profileDir = options.profileDir === undefined ? undefined : resolve(options.profileDir);
  if (profileDir) {
    await mkdir(profileDir, { recursive: true });
    process.env['DFS_BENCH_PROFILE_DIR'] = profileDir;
    process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --require ${join(__dirname, 'cpu-profile-preload.js')}`.trim();
  }
  const startedAt = new Date();
  log(`starting a cluster: 3 datanodes, R=${BENCH_REPLICATION}, ${options.metadata} metadata; cases ${options.cases.join(', ')}; ${options.runs} run(s)${options.quick ? ', quick' : ''}`);
  const cluster = await startCluster({
    datanodes: 3,
    replication: BENCH_REPLICATION,
    metadata: options.metadata,
    name: 'bench',
  });
  clusterDir = cluster.dir;
  const workDir = join(cluster.dir, 'bench-work');
  const machine = machineInfo(cluster.dir);
  const runs: RunValues[] = [];
  const notes = new Set<string>();
  let coldRead = true;
  let ok = false;
  try {
    await mkdir(workDir, { recursive: true });
    const fixtures = { largeFile: join(workDir, 'large.bin'), largeSha256: '', scalingFile: join(workDir, 'scaling.bin') };
    if (options.cases.includes('large')) fixtures.largeSha256 = await writeRandomFile(fixtures.largeFile, options.plan.largeBytes);
    if (options.cases.includes('scaling')) await writeRandomFile(fixtures.scalingFile, options.plan.scalingFileBytes);
    for (let run = 0; run < options.runs; run++) {
      const values: RunValues = {};
      runs.push(values);
      const ctx: CaseContext = {
        options,
        cluster,
        workDir,
        run,
        fixtures,
        record: (id, value) => void (values[id] = value),
        note: (text) => void notes.add(text),
        log,
      };
      for (const name of options.cases) {
        if (run > 0 && ONCE.has(name)) continue;
        log(`run ${run + 1}/${options.runs}: ${name}`);
        const result = await CASE_RUNNERS[name](ctx);
        if (name === 'limits') coldRead &&= (result as { coldRead: boolean }).coldRead;
      }
    }
    ok = true;
  } finally {
    await cluster.stop();
    await rm(workDir, { recursive: true, force: true });
    // The logs stay only when something failed: they are named in the error.
    if (ok) await rm(cluster.dir, { recursive: true, force: true });
    else log(`cluster logs: ${cluster.dir}`);
  }

  const rows = evaluateRows(rowSpecs(options, coldRead), runs);
  const finishedAt = new Date();
  const caption =
    `DFS bench, ${finishedAt.toISOString().slice(0, 10)}: ${machine.cores} cores, ${machine.memoryGiB} GiB, disk ${machine.disk}, Node ${machine.node}; ` +
    `${options.metadata} metadata; median of ${options.runs} run(s)${options.quick ? ' (quick: small sizes)' : ''}`;
  process.stdout.write(`\n${caption}\n\n${formatTextTable(rows)}`);
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  const judged = rows.filter((r) => r.pass !== undefined);
  const missed = judged.filter((r) => !r.pass);
  process.stdout.write(
    `targets: ${judged.length - missed.length} of ${judged.length} met${missed.length ? `; missed: ${missed.map((r) => r.label).join('; ')}` : ''}` +
      (options.quick ? ' (quick mode: sizes too small to judge; printed, not enforced)\n' : '\n'),
  );
  const payload = { startedAt, finishedAt, machine: { ...machine, load1AtEnd: Number(loadavg()[0]!.toFixed(2)) }, options, runs, rows, notes: [...notes] };
  const files = await writeResults(options.outDir, `${options.metadata}${options.quick ? '-quick' : ''}`, payload, rows, caption);
  process.stdout.write(`results: ${files.json}\n         ${files.markdown}\n         ${files.svg}\n`);
  if (profileDir) process.stdout.write(`CPU profiles: ${profileDir} (written when each process exits; summarize one with node tools/bench/dist/cpu-profile-top.js FILE)\n`);
  return 0;
}

runBenchmark(main, async () => {
  if (clusterDir) await rm(clusterDir, { recursive: true, force: true });
});
