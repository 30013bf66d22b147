// Path arithmetic shared by the stores. Paths arrive validated and normalized
// (absolute, no trailing "/" except the root). A directory's subtree is the
// key range [dir + "/", dir + "0"): "0" is the byte after "/", so "/a" never
// reaches "/ab/x" or "/a-1".

/** The prefix every path below `dir` starts with. */
export function subtreeStart(dir: string): string {
  return dir === '/' ? '/' : `${dir}/`;
}

/** The first key after `dir`'s subtree (exclusive end), or undefined for the root (no end). */
export function subtreeEnd(dir: string): string | undefined {
  return dir === '/' ? undefined : `${dir}0`;
}

/** True when `path` lies strictly below `dir`. */
export function isBelow(path: string, dir: string): boolean {
  return path !== dir && path.startsWith(subtreeStart(dir));
}

export { ancestorsOf } from '@dfs/proto';

/** `path` moved from below (or at) `from` to the same place below `to`. */
export function movedPath(path: string, from: string, to: string): string {
  return to + path.slice(from.length);
}
