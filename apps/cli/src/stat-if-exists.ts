import type { DfsClient, FileInfo } from '@dfs/sdk';
import { dfsSdk } from './lazy-deps.js';


/** The info of `path`, or undefined when nothing is there; any other failure (a bad path, no cluster) is thrown. */
export async function statIfExists(client: DfsClient, path: string): Promise<FileInfo | undefined> {
  try {
    return await client.stat(path);
  } catch (err) {
    if (dfsSdk().isDfsError(err) && err.code === 'NotFound') return undefined;
    throw err;
  }
}
