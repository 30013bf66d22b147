import { Args } from '@oclif/core';
import { DfsCommand, withExitCodes } from '../../dfs-command.js';
import { nodeInfoJson } from '../../json-shapes.js';

export default class NodeUndrain extends DfsCommand<typeof NodeUndrain> {
  static override summary = 'Call off a drain: the datanode takes new chunks again.';
  static override description = withExitCodes(
    'A draining or drained node turns healthy: it takes new chunks again and its copies count again, so the copies made elsewhere while it drained ' +
      'are surplus and the cluster deletes them. A dead node that was draining comes back healthy when it returns. Any other node is left as it is. ' +
      'Prints the node\'s state, "node <id> at <address> is healthy" (--json: the node as `dfs nodes --json` prints it).',
  );
  static override examples = ['<%= config.bin %> node undrain 7f3c9a1e'];
  static override args = {
    nodeId: Args.string({ description: 'id of the datanode, as `dfs nodes` lists it', required: true, ignoreStdin: true }),
  };

  async run(): Promise<void> {
    const node = await this.client().undrainNode(this.args.nodeId);
    if (this.flags.json) this.printJson(nodeInfoJson(node));
    else this.print(`node ${node.nodeId} at ${node.address} is ${node.state}`);
  }
}
