import { Code, DfsError } from './dfs-error.js';

/** A UTF-16 surrogate without its pair: such a string has no UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Longest path, in UTF-8 bytes (as HDFS and Linux PATH_MAX). */
export const MAX_PATH_BYTES = 4096;
/** Longest path component, in UTF-8 bytes (as NAME_MAX). */
export const MAX_COMPONENT_BYTES = 255;

/**
 * Checks that `path` is a DFS path exactly as the coordinator stores it:
 * absolute, normalized (no empty components, no trailing slash except the
 * root), valid UTF-8 (no lone surrogates), no NUL, no "." or ".." components,
 * at most 4096 bytes with components of at most 255. Returns it unchanged;
 * throws InvalidArgument naming the rule that failed.
 */
export function validatePath(path: unknown, what = 'path'): string {
  if (typeof path !== 'string') throw invalid(`${what} must be a string`);
  if (!path.startsWith('/')) throw invalid(`${what} ${show(path)} is not absolute: start it with "/"`);
  if (LONE_SURROGATE.test(path)) throw invalid(`${what} ${show(path)} is not valid UTF-8 (it has an unpaired surrogate)`);
  if (path.includes('\0')) throw invalid(`${what} ${show(path)} contains a NUL character`);
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > MAX_PATH_BYTES) throw invalid(`${what} is ${bytes} bytes long; the limit is ${MAX_PATH_BYTES}`);
  if (path === '/') return path;
  if (path.endsWith('/')) throw invalid(`${what} ${show(path)} ends with "/": write it without the trailing slash`);
  for (const component of path.slice(1).split('/')) {
    if (component === '') throw invalid(`${what} ${show(path)} has an empty component ("//"): use single slashes`);
    if (component === '.' || component === '..') throw invalid(`${what} ${show(path)} has a "${component}" component: DFS paths are absolute and resolved`);
    const n = Buffer.byteLength(component, 'utf8');
    if (n > MAX_COMPONENT_BYTES) throw invalid(`${what} has a component of ${n} bytes; the limit is ${MAX_COMPONENT_BYTES}`);
  }
  return path;
}

/**
 * What a user typed, made into a valid DFS path where that is unambiguous:
 * repeated and trailing slashes are dropped. "." and ".." are still refused
 * (resolving them against a remote cwd is the caller's business).
 */
export function normalizePath(input: string, what = 'path'): string {
  if (typeof input === 'string' && input.startsWith('/')) {
    const collapsed = '/' + input.split('/').filter((c) => c !== '').join('/');
    return validatePath(collapsed, what);
  }
  return validatePath(input, what);
}

/** The parent directory of a valid path ("/" for top-level entries and for "/"). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last component ("" for "/"). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The proper ancestors of a valid path, root excluded, outermost first: "/a/b/c" → ["/a", "/a/b"]. */
export function ancestorsOf(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf('/', 1); i > 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i));
  return out;
}

/** True when `path` is `ancestor` or lies below it (component-wise: "/a" is not an ancestor of "/ab"). */
export function isSameOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(ancestor + '/');
}

function show(path: string): string {
  return JSON.stringify(path.length > 80 ? `${path.slice(0, 77)}...` : path);
}

function invalid(message: string): DfsError {
  return new DfsError(Code.InvalidArgument, message, { reason: 'BAD_PATH' });
}
