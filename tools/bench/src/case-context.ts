import type { TestCluster } from '@dfs/test-cluster';
import type { BenchOptions } from './bench-options.js';

/** What a case gets: the cluster, a scratch directory on its disk, and where its values go. */
export interface CaseContext {
  readonly options: BenchOptions;
  readonly cluster: TestCluster;
  /** Scratch directory on the disk the cluster's data directories are on. */
  readonly workDir: string;
  /** 0-based index of the run. */
  readonly run: number;
  /** Files made once for all runs: the large file and the scaling file, with their SHA-256. */
  readonly fixtures: { largeFile: string; largeSha256: string; scalingFile: string };
  /** Records this run's value of a row (see row-specs.ts). */
  record(id: string, value: number): void;
  /** A line printed under the table and kept in the JSON (e.g. "the read was warm"). */
  note(text: string): void;
  /** Progress on stderr. */
  log(text: string): void;
}

export const MiB = 1024 * 1024;

/**
 * The replication the benchmarks measure DFS at: bench-run's cluster, and
 * the default of sdk-transfer-rss's --replication and datanode-write-rss's
 * --copies, so that their figures compare. It is also the coordinator's
 * default (files.defaultReplication).
 */
export const BENCH_REPLICATION = 3;

export function datanodePids(cluster: TestCluster): number[] {
  return cluster.datanodes.map((d) => d.process.pid!);
}
