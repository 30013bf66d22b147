import { dirname } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { downloadFlags } from '../dfs-flags.js';
import { fileInfoJson } from '../json-shapes.js';
import { formatSize } from '../format-size.js';
import { MadeDirectories } from '../made-directories.js';
import { planDownloads } from '../plan-downloads.js';
import { stdoutSink } from '../stdout-sink.js';

export default class Get extends DfsCommand<typeof Get> {
  // Kept out of the command list in --help, which would show the command twice.
  static override hiddenAliases = ['download'];
  static override summary = 'Download a file, or a tree (-r), from DFS; "-" writes to stdout (alias: download).';
  static override description = withExitCodes(
    'Every chunk and the whole file are checked against their SHA-256 before the file appears: a local file is written ' +
      'under a temporary name and renamed into place, so an interrupted download leaves nothing behind; missing local directories are created. ' +
      '<local> defaults to the current directory; an existing directory receives the file under its own name. ' +
      'Existing local files are kept unless --overwrite. Several files go --parallel at a time (4), their lines printed in tree order; ' +
      'the first failure stops the rest.',
  );
  static override examples = [
    '<%= config.bin %> get /docs/report.pdf',
    '<%= config.bin %> get -r /backup/photos ./restored',
    '<%= config.bin %> get /backup/src.tar - | tar x',
  ];
  static override args = {
    remote: Args.string({ description: 'DFS path of a file (or a directory, with -r)', required: true, ignoreStdin: true }),
    local: Args.string({ description: 'local destination, or "-" for stdout (default: the current directory)', ignoreStdin: true }),
  };
  static override flags = {
    recursive: Flags.boolean({ default: false, char: 'r', summary: 'Download a directory and everything under it.' }),
    ...downloadFlags,
  };

  async run(): Promise<void> {
    const client = this.client();
    const jobs = await planDownloads(this.args.remote, this.args.local, {
      recursive: this.flags.recursive,
      overwrite: this.flags.overwrite,
      stat: (path) => client.stat(path),
      list: (path) => client.list(path, { recursive: true }),
    });
    const made = new MadeDirectories();
    try {
      await this.transferFiles(
        jobs,
        // No bar for stdout: it is the data, and on a terminal the bar would mix with it.
        (job) => (job.local === '-' ? undefined : job.remote),
        async (job, signal, onProgress) => {
          if (job.local === '-') {
            // Standard output takes its one file whole.
            await client.download(job.remote, stdoutSink(), { concurrency: this.flags.concurrency, signal });
            return undefined;
          }
          await made.ensure(dirname(job.local));
          // The SDK writes a temp file and renames it into place once every checksum held.
          return client.download(job.remote, job.local, { concurrency: this.flags.concurrency, signal, onProgress, overwrite: this.flags.overwrite });
        },
        (info, job) => {
          if (!info) return;
          if (this.flags.json) this.printJson({ ...fileInfoJson(info), local: job.local });
          else this.summary(`downloaded ${info.path} to ${job.local} (${formatSize(info.size, true)})`);
        },
      );
    } catch (err) {
      // Every job has settled: the directories made for files that never landed can go.
      await made.removeEmpty();
      throw err;
    }
  }
}
