import { Args, Flags } from '@oclif/core';
import type { FileInfo } from '@dfs/sdk';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { humanFlag } from '../dfs-flags.js';
import { formatLongListing } from '../format-long-listing.js';

export default class Ls extends DfsCommand<typeof Ls> {
  static override summary = 'List a directory (or show one file).';
  static override description = withExitCodes(
    'One path per line, directories ending in "/". -l adds size, chunks, replication and creation time under a header; ' +
      '-r lists every file below the directory instead of its direct entries; --json prints each entry as one JSON object per line.',
  );
  static override examples = ['<%= config.bin %> ls /', '<%= config.bin %> ls -lh /backup', '<%= config.bin %> ls -r --json /backup'];
  static override args = {
    path: Args.string({ description: 'DFS path', default: '/', ignoreStdin: true }),
  };
  static override flags = {
    long: Flags.boolean({ default: false, char: 'l', summary: 'Long format: size, chunks, replication, creation time.' }),
    recursive: Flags.boolean({ default: false, char: 'r', summary: 'Every file below the directory.' }),
    ...humanFlag,
  };

  async run(): Promise<void> {
    const client = this.client();
    const target = await client.stat(this.args.path);
    const entries: AsyncIterable<FileInfo> | FileInfo[] = target.isDirectory ? client.list(target.path, { recursive: this.flags.recursive }) : [target];
    if (this.flags.long && !this.flags.json) {
      const all: FileInfo[] = [];
      for await (const entry of entries) all.push(entry);
      // One write for the table, not one per line: a thousand writes took longer than formatting a thousand rows.
      this.print(formatLongListing(all, this.flags['human-readable']).join('\n'));
    } else {
      for await (const entry of entries) {
        // The reader went away (`ls -r / | head -1`): stop fetching pages nobody will see, and end quietly (0, as cat does).
        // Leaving the loop also ends the SDK's listing, so no further page is asked for.
        if (this.stdoutClosed()) return;
        this.printEntry(entry);
      }
    }
  }
}
