import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { humanFlag } from '../dfs-flags.js';
import { formatFields } from '../format-fields.js';
import { formatSize } from '../format-size.js';
import { formatPercent } from '../format-percent.js';
import { clusterStatusJson } from '../json-shapes.js';
import { plural } from '../plural.js';

export default class Status extends DfsCommand<typeof Status> {
  static override summary = 'Summarize the cluster: nodes by state, capacity, files, chunks, and how self-healing is doing.';
  static override description = withExitCodes(
    'under-replicated: chunks with fewer live copies than their replication, being copied again (one copy left: the most urgent, copied first); ' +
      'missing: chunks with no readable copy; corrupt: chunks with a copy found corrupt, not whole again yet; ' +
      'copies: re-replication copies waiting and running. ' +
      'view: "complete" once every datanode has reported its chunks since the coordinator started; until then the chunk counts may be low and nothing is repaired. ' +
      '--json prints the summary as one object (sizes in bytes).',
  );
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
      ['nodes', `${s.nodesHealthy} healthy, ${s.nodesSuspect} suspect, ${s.nodesDead} dead, ${s.nodesDraining} draining, ${s.nodesDrained} drained`],
      ['capacity', formatSize(s.capacityBytes, human)],
      ['used', `${formatSize(s.usedBytes, human)} (${formatPercent(s.usedBytes, s.capacityBytes)})`],
      ['files', String(s.files)],
      ['chunks', String(s.chunks)],
      ['under-replicated', `${plural(s.underReplicatedChunks, 'chunk')} (${s.oneCopyChunks} with one copy left)`],
      ['missing', plural(s.missingChunks, 'chunk')],
      ['corrupt', plural(s.corruptChunks, 'chunk')],
      ['copies', `${s.queuedCopies} queued, ${s.copiesInFlight} in flight`],
      // Only when there are some: a metadata store that fails lookups needs looking at.
      ...(s.uncheckedChunks > 0 ? [['unchecked', `${plural(s.uncheckedChunks, 'chunk')} (their files could not be looked up; retrying)`] as [string, string]] : []),
      ['view', s.viewComplete ? 'complete' : 'incomplete: waiting for datanodes to report their chunks'],
    ];
    for (const line of formatFields(fields)) this.print(line);
  }
}
