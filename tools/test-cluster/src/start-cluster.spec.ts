import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createClientPool } from '@dfs/client-pool';
import { CoordinatorService, NodeState } from '@dfs/proto';
import { eventually } from './eventually.js';
import { addressInUse, stopAllProcesses } from './managed-process.js';
import { startCluster, type TestCluster } from './start-cluster.js';

jest.setTimeout(120_000);

afterAll(stopAllProcesses);

async function listNodes(cluster: TestCluster) {
  const pool = createClientPool();
  try {
    return (await pool.client(CoordinatorService, cluster.coordinator.address).listNodes({})).nodes;
  } finally {
    await pool.close();
  }
}

describe('startCluster', () => {
  it('starts a coordinator and datanodes in zones, all healthy; kills, pauses and restarts nodes; stops everything', async () => {
    const cluster = await startCluster({ datanodes: 3, zones: ['a', 'b'], replication: 2, chunkSize: 64 * 1024, name: 'tc-embedded' });
    try {
      const nodes = await listNodes(cluster);
      expect(nodes.filter((n) => n.state === NodeState.HEALTHY).map((n) => n.nodeId).sort()).toEqual(cluster.datanodes.map((d) => d.nodeId).sort());
      expect(Object.fromEntries(nodes.map((n) => [n.address, n.zone]))).toEqual({
        [cluster.datanodes[0]!.address]: 'a',
        [cluster.datanodes[1]!.address]: 'b',
        [cluster.datanodes[2]!.address]: 'a',
      });
      expect(cluster.logFiles.map((f) => f.slice(cluster.dir.length + 1))).toEqual(['coordinator.log', 'datanode-1.log', 'datanode-2.log', 'datanode-3.log']);

      const node = cluster.datanodes[1]!;
      const { nodeId, address } = node;
      await node.kill();
      expect(node.process.running).toBe(false);
      await node.restart();
      expect([node.nodeId, node.address]).toEqual([nodeId, address]);
      await node.pause();
      await node.resume();
      await cluster.waitForHealthy();

      // The coordinator got the defaults: a 64 KiB chunk size and R=2.
      const pool = createClientPool();
      try {
        const up = await pool.client(CoordinatorService, cluster.coordinator.address).createUpload({ path: '/defaults', size: 1n });
        expect([Number(up.chunkSize), up.replication]).toEqual([64 * 1024, 2]);
      } finally {
        await pool.close();
      }
    } finally {
      await cluster.stop();
    }
    expect([cluster.coordinator.process, ...cluster.datanodes.map((d) => d.process)].some((p) => p.running)).toBe(false);
    expect(cluster.datanodes.some((d) => existsSync(d.dataDir))).toBe(false);
    // Logs stay for a look after the fact.
    expect((await readdir(cluster.dir)).sort()).toEqual(['coordinator.log', 'datanode-1.log', 'datanode-2.log', 'datanode-3.log']);
    await cluster.stop(); // twice is fine
  });

  it('runs the coordinator on etcd when asked, and stops etcd too', async () => {
    const cluster = await startCluster({ datanodes: 1, metadata: 'etcd', name: 'tc-etcd' });
    try {
      expect(cluster.etcd).toBeDefined();
      expect((await listNodes(cluster)).map((n) => n.state)).toEqual([NodeState.HEALTHY]);
    } finally {
      await cluster.stop();
    }
    expect(cluster.etcd!.process.running).toBe(false);
  });

  it('names the log files when a process cannot start', async () => {
    await expect(startCluster({ datanodes: 1, name: 'tc-broken', coordinatorEnv: { DFS_DEFAULT_REPLICATION: 'many' } })).rejects.toThrow(
      /startCluster failed: tc-broken-coordinator exited[\s\S]*logs: \S+coordinator\.log/,
    );
  });

  it('restarts a node on its port once another process lets go of it; stops every process even when one stop fails', async () => {
    const cluster = await startCluster({ datanodes: 2, name: 'tc-ports' });
    const failing = cluster.datanodes[1]!.process;
    const realStop = failing.stop;
    try {
      const node = cluster.datanodes[0]!;
      const { address } = node;
      await node.kill();
      // Another process holds the node's port for a while: the restart keeps trying until it is free.
      const squatter = createServer();
      await new Promise<void>((resolve, reject) => {
        squatter.once('error', reject);
        squatter.listen(Number(address.slice(address.lastIndexOf(':') + 1)), '127.0.0.1', resolve);
      });
      const restarted = node.restart().then(
        () => undefined,
        (err: unknown) => err,
      );
      try {
        expect(await eventually(async () => addressInUse(await readFile(node.logFile, 'utf8')), 30_000)).toBe(true);
      } finally {
        await new Promise<void>((resolve) => squatter.close(() => resolve()));
      }
      expect(await restarted).toBeUndefined();
      expect(node.address).toBe(address);
      await cluster.waitForHealthy();

      // One stop fails: the other processes are stopped all the same, and a second stop() ends the last one.
      failing.stop = () => Promise.reject(new Error('stop failed on purpose'));
      await expect(cluster.stop()).rejects.toMatchObject({ errors: [expect.objectContaining({ message: 'stop failed on purpose' })] });
      expect([cluster.coordinator.process.running, node.process.running, failing.running]).toEqual([false, false, true]);
      failing.stop = realStop;
      await cluster.stop();
      expect(failing.running).toBe(false);
    } finally {
      failing.stop = realStop;
      await cluster.stop();
    }
  });
});
