import { Args, Flags } from '@oclif/core';
import { CliError } from '../cli-error.js';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { ExitCode } from '../exit-codes.js';
import { plural } from '../plural.js';
import { trimRemote } from '../remote-path.js';

export default class Rm extends DfsCommand<typeof Rm> {
  static override summary = 'Delete files, or directory trees with -r.';
  static override description = withExitCodes(
    'A file disappears at once; its chunks are removed from the datanodes in the background. ' +
      'Prints "deleted <path> (<n> files)" per path (--json: {"path","filesDeleted"}). ' +
      '--dry-run deletes nothing and prints every file that would go, then the directory itself (--json: each as a file-info object).',
  );
  static override examples = ['<%= config.bin %> rm /notes/hello.txt', '<%= config.bin %> rm -r --dry-run /backup', '<%= config.bin %> rm -r /backup'];
  static override args = {
    path: Args.string({ description: 'DFS paths', required: true, multiple: true, ignoreStdin: true }),
  };
  static override flags = {
    recursive: Flags.boolean({ default: false, char: 'r', summary: 'Delete directories and everything under them.' }),
    'dry-run': Flags.boolean({ default: false, summary: 'Only list what would be deleted.' }),
  };

  async run(): Promise<void> {
    const client = this.client();
    const { recursive, 'dry-run': dryRun } = this.flags;
    for (const path of this.positionals) {
      // Asked first so a directory without -r is refused the same way with and without --dry-run.
      const target = recursive && !dryRun ? undefined : await client.stat(path);
      if (target?.isDirectory && !recursive) throw new CliError(`${target.path} is a directory: use -r to delete it and everything under it`, ExitCode.WrongKind);
      // The coordinator refuses to delete "/" (InvalidArgument, exit 2), so a dry run must not list the whole namespace as if it would go.
      if (target?.isDirectory && recursive && trimRemote(target.path) === '/') throw new CliError('refusing to delete "/": delete its entries instead', ExitCode.Usage);
      if (target && dryRun) {
        const files = target.isDirectory ? client.list(target.path, { recursive: true }) : [];
        for await (const entry of files) this.printEntry(entry);
        this.printEntry(target);
        continue;
      }
      const { filesDeleted } = await client.delete(path, { recursive });
      if (this.flags.json) this.printJson({ path, filesDeleted });
      else this.summary(`deleted ${path} (${plural(filesDeleted, 'file')})`);
    }
  }
}
