import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inTurn, startCluster, stopAllProcesses, type StartClusterOptions, type TestCluster } from '@dfs/test-cluster';
import { killAllDfs, runDfs, type DfsRun, type RunDfsOptions } from './run-dfs.js';

/** A real cluster for one spec file, and `dfs` pointed at it. */
export interface CliCluster {
  /** Runs the built `dfs` with DFS_COORDINATOR set to the cluster and HOME set to an empty temp dir. */
  dfs(args: string[], options?: RunDfsOptions): Promise<DfsRun>;
  /** The coordinator's host:port. */
  readonly address: string;
  /** A temp directory for local files; also the HOME of every run. */
  readonly work: string;
  /** The processes, to kill or restart a datanode. */
  readonly cluster: TestCluster;
}

/**
 * Starts a coordinator and three datanodes (or as `options` say: real
 * processes on 127.0.0.1 and ephemeral ports) before the file's tests and
 * stops them after, also when a test fails; any dfs child still running is
 * killed too.
 */
export function useCliCluster(name: string, options: Omit<StartClusterOptions, 'name'> = {}): CliCluster {
  let cluster: TestCluster | undefined;
  let work = '';
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `dfs-cli-${name}-`));
    cluster = await startCluster({ ...options, name: `cli-${name}` });
  });
  // Every step runs even when one before it fails, so a failed stop leaves no process or directory behind.
  afterAll(() => inTurn([killAllDfs, () => cluster?.stop(), stopAllProcesses, () => (work ? rm(work, { recursive: true, force: true }) : undefined)]));
  return {
    dfs: (args, options = {}) => runDfs(args, { cwd: work, ...options, env: { DFS_COORDINATOR: cluster!.coordinator.address, HOME: work, ...options.env } }),
    get address() {
      return cluster!.coordinator.address;
    },
    get work() {
      return work;
    },
    get cluster() {
      return cluster!;
    },
  };
}
