import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClientPool, noRetry } from '@dfs/client-pool';
import { createMetadataStore, type MetadataStoreConfig } from '@dfs/metadata';
import { CoordinatorService, DfsError, NodeState, newChunkId } from '@dfs/proto';
import { eventually } from '@dfs/test-cluster';
import { withBenchCoordinator } from './bench-coordinator.js';
import { MiB, type CaseContext } from './case-context.js';
import { commitInput, uploadFor } from './commit-input.js';
import { startFakeDatanodes } from './fake-datanodes.js';
import { inParallel } from './in-parallel.js';
import { procMemory } from './proc-memory.js';

/** Commits after the restart, through the RPCs: the rate row, and proof the coordinator still takes writes. */
const RPC_FILES = 2_000;
const RPC_IN_FLIGHT = 64;
const FILE_BYTES = 1024;
/** Longest wait for each phase after the restart; past it the case notes what did not happen and goes on. */
const PHASE_TIMEOUT_MS = 10 * 60_000;

/** 1,000 files per directory, as a large tree would have. */
const pathOf = (i: number) => `/m/d${Math.floor(i / 1000)}/f${i % 1000}`;

/**
 * Coordinator memory with `coordinatorFiles` files of one chunk each on
 * three (simulated) datanodes, as after a restart of the coordinator:
 *
 * 1. The files are committed straight into the coordinator's metadata
 *    store (the same library and schema it uses), before it starts: each
 *    upload opened (createUpload) and then committed (commitFile), as
 *    CreateUpload and CommitUpload do. Through the RPCs they would take
 *    about an hour on this machine (~300 files/s measured), and RPCs add
 *    nothing to what is stored.
 * 2. The coordinator starts on that store; three simulated datanodes
 *    register and each reports every chunk (10,000 ids per ReportChunks,
 *    as a datanode does), which fills the coordinator's in-memory replica
 *    map, the structure that grows with the files. Rows: the time until the
 *    view is complete, the slowest ReportChunks call, the longest heartbeat
 *    round trip (a stalled event loop shows here) and how often a node had
 *    to register again (it had been declared dead meanwhile).
 * 3. Once every report is answered and the nodes stayed healthy for 20 s,
 *    `RPC_FILES` more files are committed through the RPCs (files/s); if
 *    the coordinator loses its nodes meanwhile, that is noted, not fatal.
 *
 * The peak RSS (VmHWM) covers all of it. No chunk bytes are written: a
 * datanode's disk is not what is measured.
 */
export async function runCoordinatorMemoryCase(ctx: CaseContext): Promise<void> {
  const files = ctx.options.plan.coordinatorFiles;
  // How long every node must stay healthy before the RPC commits (shorter in a smoke run).
  const settledMs = ctx.options.quick ? 4_000 : 20_000;
  const nodeIds = ['memory-node-1', 'memory-node-2', 'memory-node-3'];
  const chunkIds: string[] = [];
  const fill = async (config: MetadataStoreConfig) => {
    const store = await createMetadataStore(config);
    const started = performance.now();
    try {
      for (let i = 0; i < files; i += 200) {
        const batch = Array.from({ length: Math.min(200, files - i) }, (_, j) => commitInput(pathOf(i + j), nodeIds, newChunkId()));
        await Promise.all(
          batch.map(async (input) => {
            await store.createUpload(uploadFor(input));
            await store.commitFile(input);
          }),
        );
        for (const input of batch) chunkIds.push(input.chunks[0]!.chunkId);
      }
    } finally {
      await store.close();
    }
    ctx.log(`coordinator memory: ${files.toLocaleString('en-US')} files put in the store in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  };

  await withBenchCoordinator(
    ctx,
    'memory-coordinator',
    async (coordinator) => {
      const address = coordinator.ready!.address;
      // No deadline: a coordinator busy with a million chunks answers late, and how late is measured.
      const pool = createClientPool({ policy: noRetry, timeoutMs: 0 });
      const client = pool.client(CoordinatorService, address);
      const restarted = performance.now();
      const nodes = await startFakeDatanodes(address, nodeIds.length, 2_000, { nodeIds, chunkIds });
      try {
        if (!(await eventually(async () => (await client.clusterStatus({})).viewComplete, PHASE_TIMEOUT_MS, 500))) throw new Error('the chunk reports did not complete the view');
        const reportSeconds = (performance.now() - restarted) / 1000;
        ctx.record('coordinator.report', reportSeconds);
        ctx.log(`coordinator memory: view complete ${reportSeconds.toFixed(1)} s after the restart`);
        // The last batch of each report is answered only after the coordinator checked every chunk it added.
        const timeout = new AbortController();
        const answered = await Promise.race([nodes.reported.then(() => true), sleep(PHASE_TIMEOUT_MS, false, { signal: timeout.signal }).catch(() => false)]);
        timeout.abort();
        // After the view is complete the coordinator scans every file; nodes it hears from late turn suspect.
        // Settled: every node healthy at each look for settledMs in a row.
        let healthySince = Infinity;
        const settled = async () => {
          const ok = (await client.listNodes({})).nodes.filter((n) => n.state === NodeState.HEALTHY).length === nodeIds.length;
          healthySince = ok ? Math.min(healthySince, Date.now()) : Infinity;
          return Date.now() - healthySince >= settledMs;
        };
        if (!answered || !(await eventually(settled, PHASE_TIMEOUT_MS, 500))) {
          ctx.note(`run ${ctx.run + 1}: with ${files.toLocaleString('en-US')} files the reports were not all answered, or the nodes not healthy for ${settledMs / 1000} s in a row, within ${PHASE_TIMEOUT_MS / 60_000} min: no RPC commits measured`);
        } else {
          const sha256 = randomBytes(32);
          const started = performance.now();
          try {
            await inParallel(RPC_FILES, RPC_IN_FLIGHT, async (i) => {
              const upload = await client.createUpload({ path: pathOf(files + i), size: BigInt(FILE_BYTES), chunkSize: BigInt(FILE_BYTES), replication: nodeIds.length });
              const placed = upload.placements[0]!;
              await client.commitUpload({
                uploadId: upload.uploadId,
                size: BigInt(FILE_BYTES),
                fileSha256: sha256,
                chunks: [{ chunkId: placed.chunkId, index: 0, size: BigInt(FILE_BYTES), sha256, replicaNodeIds: placed.targets.map((t) => t.nodeId) }],
              });
            });
            ctx.record('coordinator.commit-rpc', RPC_FILES / ((performance.now() - started) / 1000));
            // ClusterStatus counts are up to 5 s old (it shares one count): stat the first and last files instead.
            for (const i of [0, files - 1, files + RPC_FILES - 1]) await client.stat({ path: pathOf(i) });
          } catch (err) {
            // A DFS behaviour to report, not a benchmark error: the coordinator lost its nodes under this load.
            ctx.note(`run ${ctx.run + 1}: RPC commits after the restart with ${files.toLocaleString('en-US')} files failed: ${DfsError.from(err).rawMessage}`);
          }
        }
        const { beats, latenciesMs, reregistered } = nodes.stats();
        ctx.record('coordinator.report-slowest', nodes.slowestReportMs() / 1000);
        ctx.record('coordinator.heartbeat-max', Math.max(0, ...latenciesMs) / 1000);
        ctx.record('coordinator.reregistered', reregistered);
        const { peakRss, rss } = await procMemory(coordinator.pid!);
        ctx.record('coordinator.rss', peakRss / MiB);
        ctx.log(
          `coordinator memory: peak RSS ${(peakRss / MiB).toFixed(0)} MiB (now ${(rss / MiB).toFixed(0)} MiB); ${beats} heartbeats, ` +
            `longest ${(Math.max(0, ...latenciesMs) / 1000).toFixed(1)} s; ${reregistered} re-registrations`,
        );
      } finally {
        await nodes.stop();
        await pool.close();
      }
    },
    fill,
  );
}
