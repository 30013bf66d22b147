import { setTimeout as sleep } from 'node:timers/promises';
import { Args, Flags } from '@oclif/core';
import type { DfsClient, NodeInfo } from '@dfs/sdk';
import { CliError } from '../../cli-error.js';
import { DfsCommand, withExitCodes } from '../../dfs-command.js';
import { durationFlag } from '../../dfs-flags.js';
import { ExitCode } from '../../exit-codes.js';
import { formatDuration } from '../../format-duration.js';
import { nodeInfoJson } from '../../json-shapes.js';
import { plural } from '../../plural.js';
import type { StatusLine } from '../../status-line.js';

/** How often --wait asks the coordinator. */
const POLL_MS = 1_000;

export default class NodeDrain extends DfsCommand<typeof NodeDrain> {
  static override summary = 'Drain a datanode: copy every chunk it holds to other nodes, so that it can be removed.';
  static override description = withExitCodes(
    'The node keeps serving reads but takes no new chunks while the coordinator copies its chunks elsewhere; then it turns drained, ' +
      'and stopping it leaves nothing under-replicated. A node stays draining while no other node can take its copies (with R=3, draining needs a fourth node). ' +
      'Prints the node\'s new state, "node <id> at <address> is draining" (--json: the node as `dfs nodes --json` prints it). ' +
      '--wait polls until it is drained, with a progress line on a terminal, and prints its state again; ' +
      '--timeout stops waiting after that long (exit 6), as does Ctrl-C (exit 130): the drain goes on either way.',
  );
  static override examples = ['<%= config.bin %> node drain 7f3c9a1e', '<%= config.bin %> node drain --wait --timeout 2h 7f3c9a1e'];
  static override args = {
    nodeId: Args.string({ description: 'id of the datanode, as `dfs nodes` lists it', required: true, ignoreStdin: true }),
  };
  static override flags = {
    // No default: --timeout's dependsOn would count a default as given.
    wait: Flags.boolean({ summary: 'Wait until the node is drained.' }),
    timeout: durationFlag({ summary: 'With --wait: stop waiting after this long, e.g. 90s, 30m or 2h (default: no limit).', dependsOn: ['wait'] }),
  };

  async run(): Promise<void> {
    const client = this.client();
    const node = await client.drainNode(this.args.nodeId);
    this.printNode(node);
    if (this.flags.wait && node.state !== 'drained') this.printNode(await this.waitUntilDrained(client, node));
  }

  private printNode(node: NodeInfo): void {
    if (this.flags.json) this.printJson(nodeInfoJson(node));
    else this.print(`node ${node.nodeId} at ${node.address} is ${node.state}`);
  }

  /** Polls nodes() until the node is drained; fails when it cannot become drained any more, or on --timeout. */
  private async waitUntilDrained(client: DfsClient, { nodeId }: NodeInfo): Promise<NodeInfo> {
    const signal = this.transferSignal();
    const line = this.statusLine();
    const started = Date.now();
    const deadline = this.flags.timeout === undefined ? Infinity : started + this.flags.timeout;
    for (;;) {
      await sleep(Math.max(0, Math.min(POLL_MS, deadline - Date.now())), undefined, { signal });
      const node = (await client.nodes()).find((n) => n.nodeId === nodeId);
      if (!node) throw new CliError(`node ${nodeId} is no longer known to the coordinator`, ExitCode.NotFound);
      if (node.state === 'drained') {
        line?.done();
        return node;
      }
      if (node.state === 'dead') {
        throw new CliError(`node ${nodeId} went dead before it was drained: the cluster re-replicates its chunks from their other copies`, ExitCode.Unavailable);
      }
      if (node.state === 'healthy') throw new CliError(`node ${nodeId} is healthy again: its drain was called off`);
      if (Date.now() >= deadline) {
        throw new CliError(`node ${nodeId} is still ${node.state} after ${formatDuration(this.flags.timeout!)}: the drain goes on (see "dfs nodes")`, ExitCode.Unavailable);
      }
      if (line) await drawProgress(line, client, nodeId, Date.now() - started);
    }
  }
}

/** "draining 7f3c…: 12 chunks under-replicated in the cluster (2 being copied), 1m05s". */
async function drawProgress(line: StatusLine, client: DfsClient, nodeId: string, elapsedMs: number): Promise<void> {
  const s = await client.status();
  const work = s.viewComplete
    ? `${plural(s.underReplicatedChunks, 'chunk')} under-replicated in the cluster (${s.copiesInFlight} being copied)`
    : 'waiting for every datanode to report its chunks';
  line.draw(`draining ${nodeId}: ${work}, ${formatDuration(elapsedMs)}`);
}
