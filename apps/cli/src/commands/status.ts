import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { humanFlag } from '../dfs-flags.js';
import { formatFields } from '../format-fields.js';
import { formatSize } from '../format-size.js';
import { formatPercent } from '../format-percent.js';
import { clusterStatusJson } from '../json-shapes.js';

export default class Status extends DfsCommand<typeof Status> {
  static override summary = 'Summarize the cluster: nodes by state, capacity, files, chunks, under-replicated chunks.';
  static override description = withExitCodes('--json prints the summary as one object (sizes in bytes).');
  static override examples = ['<%= config.bin %> status -h', '<%= config.bin %> status --json'];
  static override flags = { ...humanFlag };

  async run(): Promise<void> {
    const s = await this.client().status();
    if (this.flags.json) {
      this.printJson(clusterStatusJson(s));
      return;
    }
    const human = this.flags['human-readable'];
    const fields: [string, string][] = [
      ['nodes', `${s.nodesHealthy} healthy, ${s.nodesSuspect} suspect, ${s.nodesDead} dead`],
      ['capacity', formatSize(s.capacityBytes, human)],
      ['used', `${formatSize(s.usedBytes, human)} (${formatPercent(s.usedBytes, s.capacityBytes)})`],
      ['files', String(s.files)],
      ['chunks', String(s.chunks)],
      ['under-replicated', `${s.underReplicatedChunks} chunks`],
    ];
    for (const line of formatFields(fields)) this.print(line);
  }
}
