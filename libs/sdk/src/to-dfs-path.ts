import { normalizePath } from '@dfs/proto';
import { DfsError } from './dfs-error.js';

/**
 * A DFS path as the caller typed it, made canonical where that is
 * unambiguous (repeated and trailing slashes dropped); anything else invalid
 * (relative, "." or "..", NUL, too long) is InvalidArgument, reason BAD_PATH.
 */
export function toDfsPath(path: string, what = 'path'): string {
  try {
    return normalizePath(path, what);
  } catch (err) {
    throw DfsError.from(err);
  }
}
