import { Errors, Flags } from '@oclif/core';
import { dfsConfig } from './lazy-deps.js';


/** Flags every command takes (oclif `baseFlags`). */
export const globalFlags = {
  coordinator: Flags.string({
    summary: 'Coordinator host:port; several separated by commas.',
    description: 'Default: DFS_COORDINATOR, then "coordinator:" in $XDG_CONFIG_HOME/dfs/config.yaml (~/.config/dfs/config.yaml), then 127.0.0.1:8080.',
    helpGroup: 'GLOBAL',
  }),
  json: Flags.boolean({ default: false, summary: 'Print JSON: one object per line.', helpGroup: 'GLOBAL' }),
  quiet: Flags.boolean({ default: false, char: 'q', summary: 'Print no progress bar and no summary lines; errors still go to stderr.', helpGroup: 'GLOBAL' }),
};

/** A byte size such as 8MiB, 64KiB, 1.5GB or 1048576 (as the servers' config accepts). */
export const sizeFlag = Flags.custom<number>({
  parse: async (input) => {
    const bytes = dfsConfig().parseSize(input);
    if (bytes === undefined || bytes === 0) throw new Errors.CLIError(`expected a size such as 8MiB, 64KiB or 1048576, not ${JSON.stringify(input)}`);
    return bytes;
  },
});

/** A duration such as 90s, 30m, 1h30m or 500ms (as the servers' config accepts; a bare number is ms). */
export const durationFlag = Flags.custom<number>({
  parse: async (input) => {
    const ms = dfsConfig().parseDuration(input);
    if (ms === undefined || ms === 0) throw new Errors.CLIError(`expected a duration such as 90s, 30m or 1h30m, not ${JSON.stringify(input)}`);
    return ms;
  },
});

const concurrency = Flags.integer({ summary: 'Chunks moved at once by the whole command (default: 8 writes, 4 reads; a small chunk counts as its share).', min: 1, max: 64 });
const parallel = Flags.integer({ summary: 'Files transferred at once when there are several.', min: 1, max: 64, default: 4, char: 'P' });

/** Flags of `put`: how the file is cut and stored. */
export const uploadFlags = {
  'chunk-size': sizeFlag({ summary: "Chunk size, e.g. 8MiB or 64KiB (default: the cluster's, 8 MiB)." }),
  replication: Flags.integer({ summary: "Copies of each chunk (default: the cluster's, 3).", min: 1 }),
  concurrency,
  parallel,
  overwrite: Flags.boolean({ default: false, summary: 'Replace a remote file that exists.' }),
};

/** Flags of `get`. */
export const downloadFlags = {
  concurrency,
  parallel,
  overwrite: Flags.boolean({ default: false, summary: 'Replace a local file that exists.' }),
};

/** `-h`: sizes for people. (oclif's help flag is --help only, so -h is free, as in ls and df.) */
export const humanFlag = {
  'human-readable': Flags.boolean({ default: false, char: 'h', summary: 'Sizes as 1.5 MiB instead of bytes.' }),
};
