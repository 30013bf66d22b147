import type * as DfsConfig from '@dfs/config';
import type * as DfsSdk from '@dfs/sdk';

// The SDK (connect, protobuf, the generated messages) and @dfs/config (zod,
// yaml) are most of what `dfs` would load at start, more than most commands
// take (issue 7). They are required on first use, not imported: a usage
// error never loads the SDK, and only a config file, a bad DFS_COORDINATOR
// or a size/duration flag loads @dfs/config.

export const dfsSdk = (): typeof DfsSdk => require('@dfs/sdk') as typeof DfsSdk;
export const dfsConfig = (): typeof DfsConfig => require('@dfs/config') as typeof DfsConfig;
