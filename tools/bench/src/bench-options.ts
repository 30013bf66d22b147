import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** The groups of cases `--cases` selects from, in the order they run. */
export const CASES = ['limits', 'large', 'small', 'scaling', 'metadata', 'heartbeats', 'coordinator-memory'] as const;
export type CaseName = (typeof CASES)[number];

/** Sizes and counts of one benchmark run. Full sizes are the issue's; quick ones fit a CI smoke run. */
export interface BenchPlan {
  /** Bytes written, then read back cold, for the disk limits. */
  diskBytes: number;
  /** Bytes hashed for the SHA-256 limit (in 8 MiB buffers). */
  shaBytes: number;
  /** Bytes sent over one plain HTTP/2 stream for the loopback limit. */
  http2Bytes: number;
  /** The large file uploaded and downloaded with the SDK. */
  largeBytes: number;
  smallFiles: number;
  smallFileBytes: number;
  smallInFlight: number;
  /** Files in the metadata store for metadata-throughput.ts. */
  metadataFiles: number;
  /** Files committed through the coordinator's RPCs before its RSS is read. */
  coordinatorFiles: number;
  /** Size of each file of the parallel-upload scaling case. */
  scalingFileBytes: number;
  scalingLevels: number[];
  heartbeatNodes: number;
  heartbeatIntervalMs: number;
  /** How long the coordinator's CPU is sampled while the simulated nodes beat. */
  heartbeatSampleMs: number;
}

export interface BenchOptions {
  metadata: 'embedded' | 'etcd';
  runs: number;
  quick: boolean;
  cases: CaseName[];
  /** Where the JSON, Markdown and SVG results go. */
  outDir: string;
  /** When set, the client workers and the datanodes run with `--cpu-prof` and write their profiles here. */
  profileDir?: string;
  plan: BenchPlan;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export const FULL_PLAN: Readonly<BenchPlan> = Object.freeze({
  diskBytes: GiB,
  shaBytes: GiB,
  http2Bytes: GiB,
  largeBytes: GiB,
  smallFiles: 1_000,
  smallFileBytes: 64 * 1024,
  smallInFlight: 16,
  metadataFiles: 100_000,
  coordinatorFiles: 1_000_000,
  // 128 MiB each: the 8-file level moves 1 GiB, as the large-file case does.
  scalingFileBytes: 128 * MiB,
  scalingLevels: [1, 2, 4, 8],
  heartbeatNodes: 200,
  heartbeatIntervalMs: 2_000,
  heartbeatSampleMs: 20_000,
});

/** Small enough for `npm test` (about a minute on 2 cores), big enough that every code path runs. */
export const QUICK_PLAN: Readonly<BenchPlan> = Object.freeze({
  ...FULL_PLAN,
  diskBytes: 64 * MiB,
  shaBytes: 128 * MiB,
  http2Bytes: 128 * MiB,
  largeBytes: 64 * MiB,
  smallFiles: 100,
  metadataFiles: 3_000,
  coordinatorFiles: 2_000,
  scalingFileBytes: 8 * MiB,
  heartbeatSampleMs: 4_000,
});

export const USAGE = `usage: node tools/bench/dist/bench-run.js [--metadata embedded|etcd] [--runs 3] [--quick]
    [--cases ${CASES.join(',')}] [--coordinator-files N] [--out DIR] [--profile DIR]`;

/** Parses bench-run's command line; throws an Error whose message says what is wrong (and the usage). */
export function parseBenchOptions(argv: string[], defaultOutDir = join(__dirname, '..', 'results')): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      metadata: { type: 'string', default: 'embedded' },
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      cases: { type: 'string' },
      'coordinator-files': { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const fail = (message: string): never => {
    throw new Error(`${message}\n${USAGE}`);
  };
  const metadata = values.metadata!;
  if (metadata !== 'embedded' && metadata !== 'etcd') fail(`--metadata must be embedded or etcd, not ${JSON.stringify(metadata)}`);
  // Quick mode is a smoke run: one run unless asked otherwise.
  const runs = wholeNumber(values.runs ?? (values.quick ? '1' : '3'), '--runs', fail);
  const cases = values.cases === undefined ? [...CASES] : values.cases.split(',').map((c) => c.trim());
  for (const c of cases) if (!(CASES as readonly string[]).includes(c)) fail(`unknown case ${JSON.stringify(c)} in --cases`);
  const plan = { ...(values.quick ? QUICK_PLAN : FULL_PLAN) };
  if (values['coordinator-files'] !== undefined) plan.coordinatorFiles = wholeNumber(values['coordinator-files'], '--coordinator-files', fail);
  return {
    metadata: metadata as BenchOptions['metadata'],
    runs,
    quick: values.quick!,
    // Always in the canonical order, whatever order --cases named them in.
    cases: CASES.filter((c) => cases.includes(c)),
    outDir: values.out ?? defaultOutDir,
    profileDir: values.profile,
    plan,
  };
}

function wholeNumber(text: string, flag: string, fail: (message: string) => never): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : fail(`${flag} must be a whole number >= 1, not ${JSON.stringify(text)}`);
}
