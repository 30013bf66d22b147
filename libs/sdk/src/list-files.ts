import type { ClientContext } from './client-context.js';
import type { ListOptions } from './dfs-client.js';
import { DfsError } from './dfs-error.js';
import { toFileInfo, type FileInfo } from './file-info.js';
import { toDfsPath } from './to-dfs-path.js';

const MAX_PAGE_SIZE = 10_000;

/** list(): ListFiles pages, fetched one at a time as the caller iterates; every error, a bad path too, surfaces there. */
export async function* listFiles(ctx: ClientContext, input: string, options: ListOptions = {}): AsyncGenerator<FileInfo> {
  const path = toDfsPath(input);
  const pageSize = options.pageSize ?? 0;
  if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
    throw new DfsError('InvalidArgument', `pageSize must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${options.pageSize}`);
  }
  let cursor = '';
  do {
    const request = { path, recursive: options.recursive ?? false, pageSize, cursor };
    const page = await ctx.coordinator((c, o) => c.listFiles(request, o)).catch((err: unknown) => {
      throw DfsError.from(err);
    });
    for (const entry of page.entries) yield toFileInfo(entry);
    cursor = page.nextCursor;
  } while (cursor !== '');
}
