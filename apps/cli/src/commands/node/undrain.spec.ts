import { dfsError } from '../../test/dfs-error.js';
import { fakeNode } from '../../test/fake-node.js';
import { useFakeClient } from '../../test/sdk-module.js';
import { runCommand } from '../../test/run-command.js';
import NodeUndrain from './undrain.js';

jest.mock('@dfs/sdk', () => jest.requireActual('../../test/sdk-module.js'));

describe('dfs node undrain (output and exit codes, with a fake SDK client)', () => {
  const undrainNode = jest.fn(async (_id: string) => fakeNode('healthy'));

  beforeEach(() => {
    undrainNode.mockClear();
    useFakeClient({ undrainNode });
  });

  it('prints the node\'s state; --json prints the node object', async () => {
    expect(await runCommand(NodeUndrain, ['node-1'])).toEqual({ stdout: 'node node-1 at 127.0.0.1:9101 is healthy\n', stderr: '', exitCode: 0 });
    expect(undrainNode).toHaveBeenCalledWith('node-1');
    const { stdout } = await runCommand(NodeUndrain, ['--json', 'node-1']);
    expect(JSON.parse(stdout)).toEqual(expect.objectContaining({ nodeId: 'node-1', state: 'healthy' }));
  });

  it('exits 3 for an unknown node and 2 without an id', async () => {
    undrainNode.mockRejectedValueOnce(dfsError('NotFound', 'node nope is not known to this coordinator: check the id with ListNodes'));
    expect(await runCommand(NodeUndrain, ['nope'])).toEqual({ stdout: '', stderr: 'dfs: node nope is not known to this coordinator: check the id with ListNodes\n', exitCode: 3 });
    expect(await runCommand(NodeUndrain, [])).toMatchObject({ exitCode: 2, stderr: 'dfs: missing argument: <nodeId> (see --help)\n' });
  });
});
