import type { NodeStateName } from '@dfs/sdk';
import { dfsError } from '../../test/dfs-error.js';
import { fakeNode } from '../../test/fake-node.js';
import { useFakeClient } from '../../test/sdk-module.js';
import { runCommand } from '../../test/run-command.js';
import NodeDrain from './drain.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../../test/sdk-module.js'));

const node = fakeNode;

describe('dfs node drain (output, --wait and exit codes, with a fake SDK client)', () => {
  const drainNode = jest.fn(async (_id: string) => node('draining'));
  /** The states nodes() reports, one per call; the last one repeats. */
  let states: NodeStateName[] = [];
  const nodes = jest.fn(async () => [node(states.length > 1 ? states.shift()! : states[0]!)]);
  const status = jest.fn(async () => ({ underReplicatedChunks: 12, copiesInFlight: 2, viewComplete: true }));

  beforeEach(() => {
    drainNode.mockClear();
    nodes.mockClear();
    states = ['draining', 'drained'];
    useFakeClient({ drainNode, nodes, status: status as never });
  });

  it('prints the new state and returns without --wait', async () => {
    expect(await runCommand(NodeDrain, ['node-1'])).toEqual({ stdout: 'node node-1 at 127.0.0.1:9101 is draining\n', stderr: '', exitCode: 0 });
    expect(drainNode).toHaveBeenCalledWith('node-1');
    expect(nodes).not.toHaveBeenCalled();
  });

  it('--wait polls until drained and prints the state again; --json prints each as a node object', async () => {
    expect(await runCommand(NodeDrain, ['--wait', 'node-1'])).toEqual({
      stdout: 'node node-1 at 127.0.0.1:9101 is draining\nnode node-1 at 127.0.0.1:9101 is drained\n',
      stderr: '',
      exitCode: 0,
    });
    states = ['draining', 'drained'];
    const { stdout } = await runCommand(NodeDrain, ['--wait', '--json', 'node-1']);
    expect(stdout.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ nodeId: 'node-1', state: 'draining' }), expect.objectContaining({ nodeId: 'node-1', state: 'drained' })]);
  });

  describe('on a terminal', () => {
    const tty = { out: process.stdout.isTTY, err: process.stderr.isTTY };
    beforeEach(() => {
      process.stdout.isTTY = true;
      process.stderr.isTTY = true;
    });
    afterEach(() => {
      process.stdout.isTTY = tty.out;
      process.stderr.isTTY = tty.err;
    });

    it('--wait draws a progress line on stderr from the cluster counts, and clears it', async () => {
      const { stdout, stderr } = await runCommand(NodeDrain, ['--wait', 'node-1']);
      const clearLine = '\r\x1b[K';
      expect(stderr.startsWith(clearLine)).toBe(true);
      expect(stderr.slice(clearLine.length)).toMatch(/^draining node-1: 12 chunks under-replicated in the cluster \(2 being copied\), \d+s/);
      expect(stderr.endsWith(clearLine)).toBe(true);
      expect(stdout).toBe('node node-1 at 127.0.0.1:9101 is draining\nnode node-1 at 127.0.0.1:9101 is drained\n');
    });

    it.each([['--quiet'], ['--json']])('draws no progress line with %s', async (flag) => {
      expect((await runCommand(NodeDrain, [flag, '--wait', 'node-1'])).stderr).toBe('');
    });
  });

  it('--timeout: still draining after it is exit 6, and the drain goes on', async () => {
    states = ['draining'];
    expect(await runCommand(NodeDrain, ['--wait', '--timeout', '1ms', 'node-1'])).toEqual({
      stdout: 'node node-1 at 127.0.0.1:9101 is draining\n',
      stderr: 'dfs: node node-1 is still draining after 0s: the drain goes on (see "dfs nodes")\n',
      exitCode: 6,
    });
  });

  it('a node that goes dead while draining: exit 6', async () => {
    states = ['draining', 'dead'];
    expect(await runCommand(NodeDrain, ['--wait', 'node-1'])).toMatchObject({ stderr: expect.stringMatching(/^dfs: node node-1 went dead before it was drained/), exitCode: 6 });
  });

  it('errors of the coordinator: an unknown node exits 3, a dead one 5; --timeout needs --wait', async () => {
    drainNode.mockRejectedValueOnce(dfsError('NotFound', 'node nope is not known to this coordinator: check the id with ListNodes'));
    expect(await runCommand(NodeDrain, ['nope'])).toEqual({ stdout: '', stderr: 'dfs: node nope is not known to this coordinator: check the id with ListNodes\n', exitCode: 3 });
    drainNode.mockRejectedValueOnce(dfsError('FailedPrecondition', 'node node-1 is dead, so it cannot become draining'));
    expect(await runCommand(NodeDrain, ['node-1'])).toMatchObject({ exitCode: 5 });
    expect(await runCommand(NodeDrain, ['--timeout', '10s', 'node-1'])).toMatchObject({ stdout: '', exitCode: 2, stderr: expect.stringMatching(/--wait/) });
    expect(await runCommand(NodeDrain, ['--wait', '--timeout', 'soon', 'node-1'])).toMatchObject({ exitCode: 2, stderr: expect.stringMatching(/expected a duration/) });
    expect(await runCommand(NodeDrain, [])).toMatchObject({ exitCode: 2, stderr: 'dfs: missing argument: <nodeId> (see --help)\n' });
  });
});
