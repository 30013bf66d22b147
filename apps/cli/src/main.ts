// The entry of dist/dfs.js, the whole CLI in one file (scripts/bundle-cli.cjs),
// which bin/run.js loads. Node resolves, reads and compiles every module it
// requires, and `dfs ls` required about 400 of them (the bundle holds ~580,
// most of them loaded only when needed): in one file that happens once, which
// is a large part of what issue 7 (start-up time) saved.
import { execute, handle } from '@oclif/core';
import Cat from './commands/cat.js';
import Fsck from './commands/fsck.js';
import Get from './commands/get.js';
import Ls from './commands/ls.js';
import Mv from './commands/mv.js';
import NodeDrain from './commands/node/drain.js';
import NodeUndrain from './commands/node/undrain.js';
import Nodes from './commands/nodes.js';
import Put from './commands/put.js';
import Rm from './commands/rm.js';
import Stat from './commands/stat.js';
import Status from './commands/status.js';

/**
 * Every command by oclif id, for its "explicit" command discovery
 * (`oclif.commands` in package.json): the commands live in the bundle, not
 * in files of their own that oclif could find. main.spec.ts checks that
 * every file under commands/ is listed.
 */
export const COMMANDS = {
  cat: Cat,
  fsck: Fsck,
  get: Get,
  ls: Ls,
  mv: Mv,
  'node:drain': NodeDrain,
  'node:undrain': NodeUndrain,
  nodes: Nodes,
  put: Put,
  rm: Rm,
  stat: Stat,
  status: Status,
};

/**
 * Runs `dfs` with `args` (default: the process's). `dir` is bin/, where
 * oclif starts looking for the package.json that configures it.
 */
export async function main(dir: string, args?: string[]): Promise<void> {
  await execute({ dir, args }).catch(handle);
}
