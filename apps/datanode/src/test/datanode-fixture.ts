// Shared set-up of the specs that run datanode processes against a fake
// coordinator: start, track, and in afterAll stop and remove everything.
import { rm } from 'node:fs/promises';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { DatanodeService } from '@dfs/proto';
import { startDatanodeProcess, stopAllProcesses, type DatanodeProcess } from '@dfs/test-cluster';
import { startFakeCoordinator, type FakeCoordinator } from './fake-coordinator.js';

export interface DatanodeFixture {
  readonly pool: ClientPool;
  readonly coordinator: FakeCoordinator;
  /**
   * A datanode process, registered with the fake coordinator unless
   * `register` is false (a node that must not take heartbeat answers meant
   * for another).
   */
  start(name: string, env?: Record<string, string>, register?: boolean): Promise<DatanodeProcess>;
  /** The node's Health stats. */
  stats(node: DatanodeProcess): Promise<{ chunkCount: bigint; usedBytes: bigint; activeTransfers: number }>;
}

/** Registers beforeAll/afterAll hooks; heartbeats every 100 ms so reports arrive quickly. */
export function useDatanodes(): DatanodeFixture {
  let pool: ClientPool | undefined;
  let coordinator: FakeCoordinator | undefined;
  const nodes: DatanodeProcess[] = [];
  beforeAll(async () => {
    pool = createClientPool({ policy: noRetry });
    coordinator = await startFakeCoordinator({ heartbeatIntervalMs: 100 });
  });
  afterAll(async () => {
    await stopAllProcesses();
    await pool?.close();
    await coordinator?.close();
    await Promise.all(nodes.flatMap((n) => [rm(n.dataDir, { recursive: true, force: true }), rm(n.options.logFile, { force: true })]));
  });
  return {
    get pool() {
      return pool!;
    },
    get coordinator() {
      return coordinator!;
    },
    async start(name, env = {}, register = true) {
      const node = await startDatanodeProcess({ name, env: register ? { DATANODE_COORDINATORS: coordinator!.address, ...env } : env });
      nodes.push(node);
      return node;
    },
    async stats(node) {
      const { stats } = await pool!.client(DatanodeService, node.ready!.address).health({});
      return stats!;
    },
  };
}
