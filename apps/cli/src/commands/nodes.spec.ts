import type { ClusterStatus, NodeInfo } from '@dfs/sdk';
import { useFakeClient } from '../test/sdk-module.js';
import { runCommand } from '../test/run-command.js';
import Nodes from './nodes.js';
import Status from './status.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../test/sdk-module.js'));

const GiB = 1024 ** 3;
const node = (n: number, more: Partial<NodeInfo> = {}): NodeInfo => ({
  nodeId: `node-${n}`,
  address: `127.0.0.1:910${n}`,
  zone: n === 1 ? 'eu-1a' : '',
  state: 'healthy',
  capacityBytes: 100 * GiB,
  usedBytes: 25 * GiB,
  chunkCount: 40 * n,
  lastHeartbeat: new Date(Date.now() - 2_000),
  ...more,
});

const status: ClusterStatus = {
  nodesHealthy: 2,
  nodesSuspect: 1,
  nodesDead: 0,
  nodesDraining: 1,
  nodesDrained: 0,
  capacityBytes: 300 * GiB,
  usedBytes: 75 * GiB,
  files: 12,
  chunks: 40,
  underReplicatedChunks: 3,
  oneCopyChunks: 1,
  missingChunks: 1,
  corruptChunks: 0,
  queuedCopies: 2,
  copiesInFlight: 1,
  uncheckedChunks: 0,
  viewComplete: true,
};

describe('dfs nodes and dfs status (formatting, with a fake SDK client)', () => {
  beforeEach(() => {
    useFakeClient({ nodes: async () => [node(1), node(2, { state: 'suspect', lastHeartbeat: undefined })], status: async () => status });
  });

  it('nodes: one row per node with state, address, zone, used/capacity, chunks and heartbeat age', async () => {
    const { stdout, exitCode } = await runCommand(Nodes, ['-h']);
    expect(exitCode).toBe(0);
    const [header, first, second] = stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NODE\s+STATE\s+ADDRESS\s+ZONE\s+USED\s+CAPACITY\s+USE%\s+CHUNKS\s+HEARTBEAT$/);
    expect(first).toMatch(/^node-1\s+healthy\s+127\.0\.0\.1:9101\s+eu-1a\s+25 GiB\s+100 GiB\s+25%\s+40\s+\d+s ago$/);
    expect(second).toMatch(/^node-2\s+suspect\s+127\.0\.0\.1:9102\s+-\s+25 GiB\s+100 GiB\s+25%\s+80\s+-$/);
  });

  it('nodes: bytes without -h, and one JSON object per node with --json', async () => {
    expect((await runCommand(Nodes, [])).stdout).toContain(String(25 * GiB));
    const lines = (await runCommand(Nodes, ['--json'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({
      nodeId: 'node-1',
      state: 'healthy',
      address: '127.0.0.1:9101',
      zone: 'eu-1a',
      usedBytes: 25 * GiB,
      capacityBytes: 100 * GiB,
      chunkCount: 40,
      lastHeartbeat: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('status: a summary of nodes, space, files, chunks and the healing counts', async () => {
    expect((await runCommand(Status, ['-h'])).stdout.split('\n')).toEqual([
      'nodes             2 healthy, 1 suspect, 0 dead, 1 draining, 0 drained',
      'capacity          300 GiB',
      'used              75 GiB (25%)',
      'files             12',
      'chunks            40',
      'under-replicated  3 chunks (1 with one copy left)',
      'missing           1 chunk',
      'corrupt           0 chunks',
      'copies            2 queued, 1 in flight',
      'view              complete',
      '',
    ]);
    expect(JSON.parse((await runCommand(Status, ['--json'])).stdout)).toEqual(status);
  });

  it('status: names chunks whose files could not be looked up, only when there are some', async () => {
    expect((await runCommand(Status, [])).stdout).not.toContain('unchecked');
    useFakeClient({ status: async () => ({ ...status, uncheckedChunks: 7 }) });
    expect((await runCommand(Status, [])).stdout).toContain('\nunchecked         7 chunks (their files could not be looked up; retrying)\n');
    expect(JSON.parse((await runCommand(Status, ['--json'])).stdout)).toMatchObject({ uncheckedChunks: 7 });
  });

  it('status: says when the coordinator is still waiting for chunk reports', async () => {
    useFakeClient({ status: async () => ({ ...status, viewComplete: false }) });
    expect((await runCommand(Status, [])).stdout).toContain('\nview              incomplete: waiting for datanodes to report their chunks\n');
    expect(JSON.parse((await runCommand(Status, ['--json'])).stdout)).toMatchObject({ viewComplete: false });
  });
});
