import { setTimeout as sleep } from 'node:timers/promises';
import { withBenchCoordinator } from './bench-coordinator.js';
import type { CaseContext } from './case-context.js';
import { startFakeDatanodes } from './fake-datanodes.js';
import { procCpuSeconds } from './proc-cpu.js';

/**
 * Coordinator heartbeat handling: `heartbeatNodes` simulated datanodes
 * register and beat every `heartbeatIntervalMs` through the RPC; after one
 * interval to settle (the registrations' membership updates), the
 * coordinator's CPU time over `heartbeatSampleMs` is read from /proc, as a
 * percentage of one core, with the beats' round-trip times.
 */
export async function runHeartbeatsCase(ctx: CaseContext): Promise<void> {
  const p = ctx.options.plan;
  await withBenchCoordinator(ctx, 'heartbeat-coordinator', async (coordinator) => {
    const nodes = await startFakeDatanodes(coordinator.ready!.address, p.heartbeatNodes, p.heartbeatIntervalMs);
    try {
      await nodes.reported;
      await sleep(p.heartbeatIntervalMs + 500);
      nodes.resetStats();
      const cpu0 = await procCpuSeconds(coordinator.pid!);
      const t0 = performance.now();
      await sleep(p.heartbeatSampleMs);
      const cpu = (await procCpuSeconds(coordinator.pid!)) - cpu0;
      const seconds = (performance.now() - t0) / 1000;
      const { beats, errors, latenciesMs } = nodes.stats();
      const expected = (p.heartbeatNodes * p.heartbeatSampleMs) / p.heartbeatIntervalMs;
      if (errors > 0 || beats < expected * 0.9) ctx.note(`run ${ctx.run + 1}: ${beats} heartbeats answered of about ${Math.round(expected)} expected, ${errors} failed`);
      ctx.record('heartbeats.cpu', (cpu / seconds) * 100);
      const sorted = latenciesMs.sort((a, b) => a - b);
      if (sorted.length > 0) ctx.record('heartbeats.p99', sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!);
      ctx.log(`heartbeats: ${beats} in ${seconds.toFixed(1)} s, coordinator CPU ${((cpu / seconds) * 100).toFixed(1)}% of a core`);
    } finally {
      await nodes.stop();
    }
  });
}
