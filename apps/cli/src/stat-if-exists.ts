import type * as DfsSdk from '@dfs/sdk';
import type { DfsClient, FileInfo } from '@dfs/sdk';

// Required, not imported, as in dfs-command.ts: the client passed in has loaded the SDK by then.
const dfsSdk = () => require('@dfs/sdk') as typeof DfsSdk;

/** The info of `path`, or undefined when nothing is there; any other failure (a bad path, no cluster) is thrown. */
export async function statIfExists(client: DfsClient, path: string): Promise<FileInfo | undefined> {
  try {
    return await client.stat(path);
  } catch (err) {
    if (dfsSdk().isDfsError(err) && err.code === 'NotFound') return undefined;
    throw err;
  }
}
