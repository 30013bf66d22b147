import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts, startDatanodeProcess, stopAllProcesses, type DatanodeProcess } from '@dfs/test-cluster';

// The built script against a real datanode process, run the way Docker and
// Kubernetes run it: a fresh node process with the container's variables,
// judged by its exit code and its one line on stderr.
jest.setTimeout(60_000);

const SCRIPT = join(__dirname, '../dist/healthcheck.js');

describe('datanode healthcheck', () => {
  let node: DatanodeProcess;
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [SCRIPT, ...args], { env, encoding: 'utf8', timeout: 20_000 });

  beforeAll(async () => {
    // Standalone (no coordinator) and bound to the wildcard, as in a container.
    node = await startDatanodeProcess({ name: 'healthcheck-datanode', env: { DATANODE_HOST: '0.0.0.0', DATANODE_ADVERTISE_ADDRESS: 'datanode-1:9100' } });
  });

  afterAll(async () => {
    await stopAllProcesses();
    if (node) await rm(node.dataDir, { recursive: true, force: true });
  });

  it('exits 0 while the node serves, checking where it listens rather than what it advertises', () => {
    const { status, stderr } = run([], { DATANODE_HOST: '0.0.0.0', DATANODE_PORT: String(node.ready!.port), DATANODE_ADVERTISE_ADDRESS: 'datanode-1:9100' });
    expect(status).toBe(0);
    expect(stderr).toBe(`datanode 127.0.0.1:${node.ready!.port} (${node.ready!.nodeId}) is serving, 0 chunks, 0 transfers\n`);
    expect(run([`127.0.0.1:${node.ready!.port}`]).status).toBe(0);
  });

  it('exits 1 naming the address when nothing listens there', async () => {
    const [closed] = await freePorts(1);
    const { status, stderr } = run([`127.0.0.1:${closed}`]);
    expect(status).toBe(1);
    expect(stderr).toMatch(new RegExp(`^datanode 127\\.0\\.0\\.1:${closed} is not healthy: .*ECONNREFUSED.*\\n$`));
  });

  it('exits 1 within its timeout when the node hangs (SIGSTOP)', async () => {
    await node.pause();
    try {
      // Exit 1 on its own deadline: a script that hung would be killed by
      // spawnSync's timeout instead (no exit code), and its deadline is why
      // it gives up. No bound on the time itself: a loaded machine is slower.
      const { status, stderr } = run([`127.0.0.1:${node.ready!.port}`]);
      expect([status, stderr]).toEqual([1, expect.stringMatching(/is not healthy: \[deadline_exceeded\]/)]);
    } finally {
      await node.resume();
    }
  });

  it('exits 1 with what to do when the port is only picked at start', () => {
    const { status, stderr } = run([], { DATANODE_PORT: '0' });
    expect(status).toBe(1);
    expect(stderr).toMatch(/^datanode healthcheck: cannot tell which address to check \(DATANODE_PORT=0 picks a random port at start\); pass host:port as the argument\n$/);
  });
});
