import { Args } from '@oclif/core';
import { DfsCommand, withExitCodes } from '../dfs-command.js';
import { stdoutSink } from '../stdout-sink.js';

export default class Cat extends DfsCommand<typeof Cat> {
  static override summary = 'Write DFS files to stdout, one after the other.';
  static override description = withExitCodes('Each file is verified against its SHA-256 as it streams; the same as `dfs get <remote> -` for one file.');
  static override examples = ['<%= config.bin %> cat /notes/hello.txt'];
  static override args = {
    remote: Args.string({ description: 'DFS files', required: true, multiple: true, ignoreStdin: true }),
  };

  async run(): Promise<void> {
    const client = this.client();
    const signal = this.transferSignal();
    for (const remote of this.positionals) await client.download(remote, stdoutSink(), { signal });
  }
}
