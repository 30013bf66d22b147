import { randomUUID } from 'node:crypto';
import { createClientPool, noRetry } from '@dfs/client-pool';
import { CoordinatorService } from '@dfs/proto';

export interface HeartbeatStats {
  beats: number;
  errors: number;
  /** Round-trip time of each heartbeat RPC since the last reset, ms. */
  latenciesMs: number[];
  /** Answers that said "register again": the coordinator had declared the node dead (or forgotten it). */
  reregistered: number;
}

export interface FakeDatanodeOptions {
  /** Default: `fake-<random>-0000` … */
  nodeIds?: string[];
  /** Chunk ids every node says it holds in its full reports. Default: none. */
  chunkIds?: readonly string[];
}

export interface FakeDatanodes {
  readonly nodeIds: string[];
  /** Resolves when every node's first full chunk report is through. */
  readonly reported: Promise<void>;
  /** Heartbeats sent since the start or the last reset. */
  stats(): HeartbeatStats;
  /** The longest ReportChunks call so far, ms (the last batch of a report is where the coordinator checks every chunk). */
  slowestReportMs(): number;
  resetStats(): void;
  /** Stops every timer, closes the connection (aborting RPCs in flight) and waits for them to settle. */
  stop(): Promise<void>;
}

const TiB = 2 ** 40;
/** Ids per ReportChunks call, as the datanode's CoordinatorAgent sends them. */
const REPORT_BATCH = 10_000;

/**
 * Datanodes that exist only as RPCs: each registers with the coordinator,
 * sends its full chunk report (in batches, as a real datanode does) and
 * heartbeats every `intervalMs` from its registration on, with its own
 * membership version (so after the first beats the answers are
 * incremental, as in production). Beats are spread evenly over the
 * interval. Nothing listens at their addresses: the coordinator never dials
 * a datanode, but a client given one of them as a placement would fail, so
 * only metadata workloads may run against a coordinator that has them.
 */
export async function startFakeDatanodes(coordinator: string, count: number, intervalMs: number, options: FakeDatanodeOptions = {}): Promise<FakeDatanodes> {
  // No deadline, as the datanode's own pool: a report batch can take long, and that is measured, not cut off.
  const pool = createClientPool({ policy: noRetry, timeoutMs: 0 });
  const client = pool.client(CoordinatorService, coordinator);
  const run = randomUUID().slice(0, 8);
  const nodeIds = options.nodeIds ?? Array.from({ length: count }, (_, i) => `fake-${run}-${String(i).padStart(4, '0')}`);
  const chunkIds = options.chunkIds ?? [];
  const versions = new Map<string, bigint>();
  const stats = { capacityBytes: BigInt(TiB), usedBytes: 0n, freeBytes: BigInt(TiB), chunkCount: BigInt(chunkIds.length), activeTransfers: 0 };
  let counters: HeartbeatStats = { beats: 0, errors: 0, latenciesMs: [], reregistered: 0 };
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let slowestReportMs = 0;

  const report = async (nodeId: string) => {
    const reportId = randomUUID();
    for (let i = 0; i === 0 || i < chunkIds.length; i += REPORT_BATCH) {
      const started = performance.now();
      await client.reportChunks({ nodeId, reportId, chunkIds: chunkIds.slice(i, i + REPORT_BATCH), last: i + REPORT_BATCH >= chunkIds.length });
      slowestReportMs = Math.max(slowestReportMs, performance.now() - started);
    }
  };
  const register = async (i: number) => {
    const nodeId = nodeIds[i]!;
    const res = await client.registerNode({ nodeId, address: `127.0.0.2:${20000 + i}`, zone: '', stats });
    versions.set(nodeId, res.membershipVersion);
  };
  const beat = async (i: number) => {
    const nodeId = nodeIds[i]!;
    const started = performance.now();
    try {
      const res = await client.heartbeat({ nodeId, stats, knownMembershipVersion: versions.get(nodeId) ?? 0n });
      counters.beats++;
      counters.latenciesMs.push(performance.now() - started);
      versions.set(nodeId, res.membershipVersion);
      if (res.reregister) {
        counters.reregistered++;
        await register(i);
      }
      if (res.reregister || res.reportChunks) await report(nodeId);
    } catch {
      counters.errors++;
    }
  };
  const track = <T>(p: Promise<T>): Promise<T> => {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    inFlight.add(settled);
    void settled.finally(() => inFlight.delete(settled));
    return p;
  };

  const reports: Array<Promise<void>> = [];
  try {
    // A few registrations at once: each is a store write on the coordinator.
    for (let i = 0; i < nodeIds.length; i += 20) {
      await Promise.all(
        nodeIds.slice(i, i + 20).map(async (nodeId, j) => {
          await register(i + j);
          // Beats start now, while the report runs: a long report must not get the node declared suspect.
          timers.push(
            setTimeout(() => {
              if (stopped) return;
              track(beat(i + j));
              timers.push(setInterval(() => track(beat(i + j)), intervalMs));
            }, ((i + j) * intervalMs) / nodeIds.length),
          );
          reports.push(track(report(nodeId)));
        }),
      );
    }
  } catch (err) {
    stopped = true;
    timers.forEach((t) => clearTimeout(t));
    await pool.close();
    throw err;
  }

  const reported = Promise.all(reports).then(() => undefined);
  // Awaited by the caller or not: a report aborted by stop() must not be an unhandled rejection.
  reported.catch(() => undefined);
  return {
    nodeIds,
    reported,
    stats: () => ({ ...counters, latenciesMs: [...counters.latenciesMs] }),
    slowestReportMs: () => slowestReportMs,
    resetStats: () => void (counters = { beats: 0, errors: 0, latenciesMs: [], reregistered: 0 }),
    async stop() {
      stopped = true;
      timers.forEach((t) => clearTimeout(t));
      await pool.close();
      await Promise.all([...inFlight]);
    },
  };
}
