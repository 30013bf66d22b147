import { Args, Flags } from '@oclif/core';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { plural } from '../plural.js';
import { joinRemote, remoteBaseName, trimRemote } from '../remote-path.js';
import { statIfExists } from '../stat-if-exists.js';

export default class Mv extends DfsCommand<typeof Mv> {
  static override summary = 'Move or rename a file or a directory tree.';
  static override description = withExitCodes(
    'When <to> is an existing directory, <from> moves into it under its own name. A file keeps its identity (no data is copied). ' +
      'An existing file at the target is kept unless --overwrite. Prints "renamed <from> to <to> (<n> files)" (--json: {"from","to","filesRenamed"}).',
  );
  static override examples = ['<%= config.bin %> mv /notes/hello.txt /archive/', '<%= config.bin %> mv /backup /backup-2024'];
  static override args = {
    from: Args.string({ description: 'DFS path to move', required: true, ignoreStdin: true }),
    to: Args.string({ description: 'new DFS path, or an existing directory to move into', required: true, ignoreStdin: true }),
  };
  static override flags = {
    overwrite: Flags.boolean({ default: false, summary: 'Replace an existing file at the target.' }),
  };

  async run(): Promise<void> {
    const client = this.client();
    const { from } = this.args;
    const target = trimRemote(this.args.to);
    const intoDirectory = this.args.to.endsWith('/') || (await statIfExists(client, target))?.isDirectory === true;
    const to = intoDirectory ? joinRemote(target, remoteBaseName(from)) : target;
    const { filesRenamed } = await client.rename(from, to, { overwrite: this.flags.overwrite });
    if (this.flags.json) this.printJson({ from, to, filesRenamed });
    else this.summary(`renamed ${from} to ${to} (${plural(filesRenamed, 'file')})`);
  }
}
