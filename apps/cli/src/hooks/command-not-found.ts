import type { Hook } from '@oclif/core';
import { ExitCode } from '../exit-codes.js';

/** `dfs frobnicate`: one line on stderr and exit 2, like every other usage error (oclif's default prints a boxed warning). */
const hook: Hook<'command_not_found'> = async function (options) {
  process.stderr.write(`dfs: unknown command "${options.id}": run "dfs --help" for the list\n`);
  this.exit(ExitCode.Usage);
};

export default hook;
