import type { NodeInfo } from '@dfs/sdk';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { humanFlag } from '../dfs-flags.js';
import { nodeInfoJson } from '../json-shapes.js';
import { formatDuration } from '../format-duration.js';
import { formatPercent } from '../format-percent.js';
import { formatSize } from '../format-size.js';
import { formatTable, type Column } from '../format-table.js';

const COLUMNS: Column[] = [
  { header: 'NODE' },
  { header: 'STATE' },
  { header: 'ADDRESS' },
  { header: 'ZONE' },
  { header: 'USED', align: 'right' },
  { header: 'CAPACITY', align: 'right' },
  { header: 'USE%', align: 'right' },
  { header: 'CHUNKS', align: 'right' },
  { header: 'HEARTBEAT' },
];

export default class Nodes extends DfsCommand<typeof Nodes> {
  static override summary = 'List the datanodes: state, address, zone, space, chunks, last heartbeat.';
  static override description = withExitCodes(
    'States: healthy, suspect (heartbeats late), dead (its chunks are re-replicated), draining, drained. ' +
      'HEARTBEAT is how long ago the last one arrived. --json prints one object per node (sizes in bytes, times in ISO-8601).',
  );
  static override examples = ['<%= config.bin %> nodes -h', '<%= config.bin %> nodes --json'];
  static override flags = { ...humanFlag };

  async run(): Promise<void> {
    const nodes = await this.client().nodes();
    if (this.flags.json) {
      for (const n of nodes) this.printJson(nodeInfoJson(n));
      return;
    }
    const now = Date.now();
    const rows = nodes.map((n) => nodeRow(n, this.flags['human-readable'], now));
    for (const line of formatTable(COLUMNS, rows)) this.print(line);
  }
}

function nodeRow(n: NodeInfo, human: boolean, now: number): string[] {
  return [
    n.nodeId,
    n.state,
    n.address,
    n.zone || '-',
    formatSize(n.usedBytes, human),
    formatSize(n.capacityBytes, human),
    formatPercent(n.usedBytes, n.capacityBytes),
    String(n.chunkCount),
    n.lastHeartbeat ? `${formatDuration(now - n.lastHeartbeat.getTime())} ago` : '-',
  ];
}
