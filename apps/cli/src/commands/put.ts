import { Args, Flags } from '@oclif/core';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { uploadFlags } from '../dfs-flags.js';
import { fileInfoJson } from '../json-shapes.js';
import { formatSize } from '../format-size.js';
import { planUploads } from '../plan-uploads.js';
import { statIfExists } from '../stat-if-exists.js';

export default class Put extends DfsCommand<typeof Put> {
  // Kept out of the command list in --help, which would show the command twice.
  static override hiddenAliases = ['upload'];
  static override summary = 'Upload local files, directories (-r) or stdin (-) to DFS (alias: upload).';
  static override description = withExitCodes(
    'With several sources, or when <remote> is an existing directory or ends with "/", each source goes into <remote> under its own name; ' +
      'otherwise the one source is stored as <remote>. An existing remote file is kept unless --overwrite. ' +
      'Several files go --parallel at a time (4), each line printed in the order of the sources once its file and those before it are stored; ' +
      'the first failure stops the rest. Prints one line per uploaded file (with --json, its info as JSON); progress shows on a terminal.',
  );
  static override examples = [
    '<%= config.bin %> put report.pdf /docs/',
    '<%= config.bin %> put -r ./photos /backup/photos',
    'tar c ./src | <%= config.bin %> put - /backup/src.tar',
    '<%= config.bin %> put --chunk-size 64MiB --replication 2 big.iso /images/big.iso',
  ];
  static override args = {
    local: Args.string({ description: 'local files or directories, or "-" for stdin', required: true, multiple: true, ignoreStdin: true }),
    remote: Args.string({ description: 'DFS path (a directory to upload into, or the file name)', required: true, ignoreStdin: true }),
  };
  static override flags = {
    recursive: Flags.boolean({ default: false, char: 'r', summary: 'Upload directories and everything under them.' }),
    ...uploadFlags,
  };

  async run(): Promise<void> {
    const locals = this.positionals.slice(0, -1);
    const remote = this.positionals[this.positionals.length - 1]!;
    const client = this.client();
    const jobs = await planUploads(locals, remote, {
      recursive: this.flags.recursive,
      isRemoteDirectory: async (path) => (await statIfExists(client, path))?.isDirectory === true,
    });
    await this.transferFiles(
      jobs,
      (job) => (job.local === '-' ? 'stdin' : job.local),
      (job, signal, onProgress) =>
        client.upload(job.remote, job.local === '-' ? process.stdin : job.local, {
          chunkSize: this.flags['chunk-size'],
          replication: this.flags.replication,
          concurrency: this.flags.concurrency,
          overwrite: this.flags.overwrite,
          signal,
          onProgress,
        }),
      (info, job) => {
        if (this.flags.json) this.printJson(fileInfoJson(info));
        else this.summary(`uploaded ${job.local === '-' ? 'stdin' : job.local} to ${info.path} (${formatSize(info.size, true)})`);
      },
    );
  }
}
