import type { ClientContext } from './client-context.js';
import { toFileInfo, type FileInfo } from './file-info.js';
import { Code, DfsError as WireError } from '@dfs/proto';

/** The info of a path that must be a file (reads): a directory is FailedPrecondition. */
export async function statFile(ctx: ClientContext, path: string, signal: AbortSignal | undefined): Promise<FileInfo> {
  const { file } = await ctx.coordinator((c, o) => c.stat({ path }, o), signal);
  const info = toFileInfo(file!);
  if (info.isDirectory) throw new WireError(Code.FailedPrecondition, `${path} is a directory: list it and read its files one by one`);
  return info;
}
