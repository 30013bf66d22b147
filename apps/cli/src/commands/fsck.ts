import { Args } from '@oclif/core';
import type { FsckReport } from '@dfs/sdk';
import { CliError } from '../cli-error.js';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { ExitCode } from '../exit-codes.js';
import { formatFields } from '../format-fields.js';
import { formatTable, type Column } from '../format-table.js';
import { fsckProblemJson, fsckSummaryJson } from '../json-shapes.js';
import { plural } from '../plural.js';

const COLUMNS: Column[] = [{ header: 'HEALTH' }, { header: 'CHUNKS', align: 'right' }, { header: 'PATH' }];

export default class Fsck extends DfsCommand<typeof Fsck> {
  static override summary = 'Check the health of every file at or below a path: under-replicated, missing or corrupt chunks.';
  static override description = withExitCodes(
    'Read-only: it looks at the chunk copies the datanodes reported and repairs nothing (the cluster re-replicates on its own; see `dfs status`). ' +
      'Prints a line per file that is not healthy (HEALTH, CHUNKS: how many of its chunks are not healthy, PATH), then the files counted by health: ' +
      'under-replicated (fewer copies than its replication, still readable), missing (a chunk has no readable copy), corrupt (a chunk\'s only copies were corrupt). ' +
      '--json prints one object per file that is not healthy ({"path","health","unhealthyChunkIds"}), then one summary object ' +
      '({"filesHealthy","filesUnderReplicated","filesMissing","filesCorrupt"}). ' +
      'Exits 0 when every file is healthy, 8 when any is not. Until every datanode has reported since the coordinator started, it fails with exit 6: try again.',
  );
  static override examples = ['<%= config.bin %> fsck', '<%= config.bin %> fsck /backup', '<%= config.bin %> fsck --json / | jq -r \'select(.health == "missing") | .path\''];
  static override args = {
    path: Args.string({ description: 'DFS path of a directory or a file', default: '/', ignoreStdin: true }),
  };

  async run(): Promise<void> {
    const report = await this.client().fsck(this.args.path);
    if (this.flags.json) {
      for (const problem of report.problems) this.printJson(fsckProblemJson(problem));
      this.printJson(fsckSummaryJson(report));
    } else {
      this.printReport(report);
    }
    const unhealthy = report.filesUnderReplicated + report.filesMissing + report.filesCorrupt;
    if (unhealthy > 0) {
      throw new CliError(
        `${unhealthy} of ${plural(unhealthy + report.filesHealthy, 'file')} not healthy ` +
          `(${report.filesUnderReplicated} under-replicated, ${report.filesMissing} missing, ${report.filesCorrupt} corrupt)`,
        ExitCode.Unhealthy,
      );
    }
  }

  private printReport(report: FsckReport): void {
    const { problems } = report;
    if (problems.length > 0) {
      const rows = problems.map((p) => [p.health, String(p.unhealthyChunkIds.length), p.path]);
      for (const line of formatTable(COLUMNS, rows)) this.print(line);
      const unlisted = report.filesUnderReplicated + report.filesMissing + report.filesCorrupt - problems.length;
      if (unlisted > 0) this.print(`(${plural(unlisted, 'more file')} not healthy, not listed: check a smaller tree)`);
      this.summary('');
    }
    const counts: [string, string][] = [
      ['healthy', plural(report.filesHealthy, 'file')],
      ['under-replicated', plural(report.filesUnderReplicated, 'file')],
      ['missing', plural(report.filesMissing, 'file')],
      ['corrupt', plural(report.filesCorrupt, 'file')],
    ];
    for (const line of formatFields(counts)) this.summary(line);
  }
}
