import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClientPool, noRetry } from '@dfs/client-pool';
import { CoordinatorService, NodeState } from '@dfs/proto';
import { eventually } from './eventually.js';
import { startCoordinatorProcess, type CoordinatorProcess } from './start-coordinator-process.js';
import { startDatanodeProcess, type DatanodeProcess } from './start-datanode-process.js';
import { startEtcd, type EtcdServer } from './start-etcd.js';

export interface StartClusterOptions {
  /** Datanodes to start. Default 3. */
  datanodes?: number;
  /** Metadata store of the coordinator; `etcd` also starts a single-member etcd. Default `embedded`. */
  metadata?: 'embedded' | 'etcd';
  /** The coordinator's default replication (DFS_DEFAULT_REPLICATION). Default: min(3, datanodes). */
  replication?: number;
  /** The coordinator's default chunk size in bytes (DFS_DEFAULT_CHUNK_SIZE). Default: its own (8 MiB). */
  chunkSize?: number;
  /** Zone of datanode i is zones[i % zones.length]. Default: none. */
  zones?: string[];
  /**
   * Extra coordinator environment (DFS_* timings...). Default: a heartbeat
   * every 500 ms, suspect after 3 s, dead after 10 s, so tests see a node
   * failure within seconds, and garbage collected after 1 s (DFS_GC_DELAY).
   */
  coordinatorEnv?: Record<string, string>;
  /** Extra environment of every datanode (DATANODE_*). Default: none. */
  datanodeEnv?: Record<string, string>;
  /** Prefix of process names and of the temp directory. Default `cluster`. */
  name?: string;
  /** Longest wait for every datanode to be listed healthy, in ms. Default 30 000. */
  healthyTimeoutMs?: number;
}

/** One datanode of a {@link TestCluster}. */
export interface ClusterDatanode {
  /** Stable across restarts (kept in the data directory). */
  readonly nodeId: string;
  /** host:port; kept across restarts. */
  readonly address: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly process: DatanodeProcess;
  /** SIGKILL by default; resolves once it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the process stays, unresponsive, until resume(). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Stops it (if running) and starts it again on the same port and data. */
  restart(): Promise<void>;
}

/** A running cluster of real processes on 127.0.0.1. */
export interface TestCluster {
  readonly coordinator: { readonly address: string; readonly dataDir: string; readonly logFile: string; readonly process: CoordinatorProcess };
  readonly datanodes: ClusterDatanode[];
  readonly etcd: EtcdServer | undefined;
  /** Temp directory holding every data directory and log file. */
  readonly dir: string;
  /** Log files of every process, for failure messages. */
  readonly logFiles: string[];
  /** Waits until the coordinator lists `count` (default: all) datanodes healthy. */
  waitForHealthy(count?: number): Promise<void>;
  /** Stops every process and removes the data directories; the log files stay. Safe to call twice. */
  stop(): Promise<void>;
}

/** Test timings: node failures seen within seconds, chunks of deleted files and aborted uploads collected after 1 s. */
const FAST_TIMINGS = { DFS_HEARTBEAT_INTERVAL: '500ms', DFS_SUSPECT_AFTER: '3s', DFS_DEAD_AFTER: '10s', DFS_GC_DELAY: '1s' };

/**
 * Starts a DFS cluster for tests and benchmarks: a coordinator (and an etcd
 * when asked) and `datanodes` datanodes, each on a free loopback port with
 * its own data directory and log file under one temp directory, and waits
 * until the coordinator lists every datanode healthy. Failures name the log
 * files. Call stop() in afterAll; stopAllProcesses() and the exit hook of
 * ManagedProcess kill whatever is left if a test run dies first.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<TestCluster> {
  const count = options.datanodes ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`datanodes must be a whole number >= 1, got ${count}`);
  const name = options.name ?? 'cluster';
  const dir = await mkdtemp(join(tmpdir(), `dfs-${name}-`));
  const logFiles: string[] = [];
  let etcd: EtcdServer | undefined;
  let coordinator: CoordinatorProcess | undefined;
  const processes: DatanodeProcess[] = [];
  let stopping: Promise<void> | undefined;

  /** Every step runs even when one before it failed; a call after a failed one tries again. */
  function stop(): Promise<void> {
    stopping ??= stopAll().catch((err: unknown) => {
      stopping = undefined;
      throw err;
    });
    return stopping;
  }

  async function stopAll(): Promise<void> {
    const failures: unknown[] = [];
    const settle = async (steps: Array<Promise<unknown> | undefined>) => {
      for (const r of await Promise.allSettled(steps)) if (r.status === 'rejected') failures.push(r.reason);
    };
    // Datanodes first (they finish or cancel their writes), then the metadata
    // side; a paused node is resumed so that it can exit on SIGTERM (if that
    // fails, stop() still ends it with SIGKILL after its grace period).
    await settle(processes.map(async (p) => {
      try {
        await p.resume();
      } finally {
        await p.stop();
      }
    }));
    await settle([coordinator?.stop()]);
    await settle([etcd?.stop()]);
    await settle([...processes.map((p) => p.dataDir), coordinator?.dataDir, etcd?.dataDir].filter((d) => d !== undefined).map((d) => rm(d, { recursive: true, force: true })));
    if (failures.length > 0) throw new AggregateError(failures, `stopping the cluster failed: ${failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; ')}`);
  }

  try {
    if (options.metadata === 'etcd') {
      etcd = await startEtcd({ name: `${name}-etcd`, dataDir: join(dir, 'etcd'), logFile: join(dir, 'etcd.log') });
      logFiles.push(join(dir, 'etcd.log'));
    }
    const env: Record<string, string> = {
      ...FAST_TIMINGS,
      METADATA_BACKEND: options.metadata ?? 'embedded',
      DFS_DEFAULT_REPLICATION: String(options.replication ?? Math.min(3, count)),
      ...(options.chunkSize !== undefined ? { DFS_DEFAULT_CHUNK_SIZE: String(options.chunkSize) } : {}),
      ...(etcd ? { ETCD_ENDPOINTS: etcd.endpoint, ETCD_PREFIX: name } : {}),
      ...options.coordinatorEnv,
    };
    logFiles.push(join(dir, 'coordinator.log'));
    coordinator = await startCoordinatorProcess({ name: `${name}-coordinator`, dataDir: join(dir, 'coordinator'), logFile: join(dir, 'coordinator.log'), env });
    const coordinatorAddress = coordinator.ready!.address;
    for (let i = 0; i < count; i++) logFiles.push(join(dir, `datanode-${i + 1}.log`));
    // One at a time: parallel starts on 2 cores mostly race for the CPU.
    for (let i = 0; i < count; i++) {
      const zone = options.zones?.length ? options.zones[i % options.zones.length]! : undefined;
      processes.push(
        await startDatanodeProcess({
          name: `${name}-datanode-${i + 1}`,
          dataDir: join(dir, `datanode-${i + 1}`),
          logFile: join(dir, `datanode-${i + 1}.log`),
          env: { DATANODE_COORDINATORS: coordinatorAddress, ...(zone ? { DATANODE_ZONE: zone } : {}), ...options.datanodeEnv },
        }),
      );
    }
    const cluster: TestCluster = {
      coordinator: { address: coordinatorAddress, dataDir: coordinator.dataDir, logFile: join(dir, 'coordinator.log'), process: coordinator },
      datanodes: processes.map((p, i) => clusterDatanode(p, join(dir, `datanode-${i + 1}.log`))),
      etcd,
      dir,
      logFiles,
      waitForHealthy: (n = count) => waitForHealthy(coordinatorAddress, n, options.healthyTimeoutMs ?? 30_000, logFiles),
      stop,
    };
    await cluster.waitForHealthy();
    return cluster;
  } catch (err) {
    // The start's failure is the one to report; a failed cleanup is added to it, not put in its place.
    const stopFailure = await stop().then(
      () => '',
      (e: unknown) => `\n(and ${e instanceof Error ? e.message : String(e)})`,
    );
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`startCluster failed: ${message}\nlogs: ${logFiles.join(', ')}${stopFailure}`, { cause: err });
  }
}

function clusterDatanode(p: DatanodeProcess, logFile: string): ClusterDatanode {
  return {
    get nodeId() {
      return p.ready!.nodeId;
    },
    get address() {
      return p.ready!.address;
    },
    dataDir: p.dataDir,
    logFile,
    process: p,
    kill: async (signal = 'SIGKILL') => void (await p.kill(signal)),
    pause: () => p.pause(),
    resume: () => p.resume(),
    restart: async () => void (await p.restart()),
  };
}

async function waitForHealthy(address: string, count: number, timeoutMs: number, logFiles: string[]): Promise<void> {
  const pool = createClientPool({ policy: noRetry, timeoutMs: 2_000 });
  let seen = 'no answer from the coordinator';
  try {
    const healthy = await eventually(
      async () => {
        try {
          const { nodes } = await pool.client(CoordinatorService, address).listNodes({});
          seen = nodes.map((n) => `${n.address} ${NodeState[n.state]}`).join(', ') || 'no datanode registered';
          return nodes.filter((n) => n.state === NodeState.HEALTHY).length >= count;
        } catch (err) {
          seen = err instanceof Error ? err.message : String(err);
          return false;
        }
      },
      timeoutMs,
      100,
    );
    if (!healthy) {
      throw new Error(`the coordinator at ${address} did not list ${count} healthy datanodes within ${timeoutMs} ms (last: ${seen}); logs: ${logFiles.join(', ')}`);
    }
  } finally {
    await pool.close();
  }
}
