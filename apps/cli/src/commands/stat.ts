import { Args } from '@oclif/core';
import type { FileInfo } from '@dfs/sdk';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { humanFlag } from '../dfs-flags.js';
import { fileInfoJson } from '../json-shapes.js';
import { formatFields } from '../format-fields.js';
import { formatSize } from '../format-size.js';
import { formatTime } from '../format-time.js';

export default class Stat extends DfsCommand<typeof Stat> {
  static override summary = 'Show what DFS knows about files and directories.';
  static override description = withExitCodes(
    'For a file: size, chunk size and count, replication, SHA-256, creation time and file id; a blank line between paths. ' +
      '--json prints one object per path with the same keys as `ls --json`.',
  );
  static override examples = ['<%= config.bin %> stat /docs/report.pdf', '<%= config.bin %> stat --json /docs/report.pdf'];
  static override args = {
    path: Args.string({ description: 'DFS paths', required: true, multiple: true, ignoreStdin: true }),
  };
  static override flags = { ...humanFlag };

  async run(): Promise<void> {
    const client = this.client();
    for (const [i, path] of this.positionals.entries()) {
      const info = await client.stat(path);
      if (this.flags.json) {
        this.printJson(fileInfoJson(info));
        continue;
      }
      if (i > 0) this.print('');
      for (const line of formatFields(statFields(info, this.flags['human-readable']))) this.print(line);
    }
  }
}

function statFields(f: FileInfo, human: boolean): [string, string][] {
  if (f.isDirectory) return [['path', f.path], ['type', 'directory']];
  return [
    ['path', f.path],
    ['type', 'file'],
    ['size', formatSize(f.size, human)],
    ['chunk size', formatSize(f.chunkSize, human)],
    ['chunks', String(f.chunkCount)],
    ['replication', String(f.replication)],
    ['sha256', f.sha256],
    ['created', formatTime(f.createdAt)],
    ['file id', f.fileId],
  ];
}
