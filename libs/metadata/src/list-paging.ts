// Paged directory listing over any sorted key space, shared by the memory and
// embedded stores: they supply `seek` (first path at/after a key), this turns
// it into pages with directory entries and opaque, change-proof cursors.
import { Code, DfsError } from '@dfs/proto';
import type { FileRecord, ListEntry, ListOptions, ListPage } from './metadata-store.js';
import { compareUtf8 } from './compare-utf8.js';
import { subtreeEnd, subtreeStart } from './path-keys.js';

export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 10_000;

/** Where a scan resumes: at `key` (inclusive) or just after it. */
export interface ScanPosition {
  key: string;
  inclusive: boolean;
}

/** The first file at or after `from`, or undefined when there is none. */
export type SeekFile = (from: ScanPosition) => FileRecord | undefined;

/**
 * One page of `dir`. A cursor names the last key returned (a directory as its
 * path plus "/"), not a position in any structure, so it stays valid whatever
 * is added or removed in between: the next page starts after that key, past
 * the whole subtree for a directory.
 */
export function listPage(dir: string, options: ListOptions, seek: SeekFile): ListPage {
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new DfsError(Code.InvalidArgument, `list limit ${limit} is out of range: ask for 1 to ${MAX_LIST_LIMIT} entries per page`);
  }
  const recursive = options.recursive ?? false;
  const start = subtreeStart(dir);
  const end = subtreeEnd(dir);
  let pos: ScanPosition = options.cursor === undefined ? { key: start, inclusive: true } : resumeAfter(decodeCursor(options.cursor, dir, recursive));
  const entries: ListEntry[] = [];
  let lastKey = '';

  const next = (): ListEntry | undefined => {
    const file = seek(pos);
    if (!file || !file.path.startsWith(start) || (end !== undefined && compareUtf8(file.path, end) >= 0)) return undefined;
    const slash = recursive ? -1 : file.path.indexOf('/', start.length);
    if (slash < 0) {
      lastKey = file.path;
      pos = { key: file.path, inclusive: false };
      return { kind: 'file', file };
    }
    const child = file.path.slice(0, slash);
    lastKey = `${child}/`;
    pos = resumeAfter(lastKey);
    return { kind: 'directory', path: child };
  };

  while (entries.length < limit) {
    const entry = next();
    if (!entry) return { entries };
    entries.push(entry);
  }
  // Look one entry ahead so that the last page never carries a cursor.
  const cursor = encodeCursor(dir, recursive, lastKey);
  return next() ? { entries, nextCursor: cursor } : { entries };
}

/** Just after `key`, or after the whole subtree when `key` is a directory ("…/"). */
function resumeAfter(key: string): ScanPosition {
  return key.endsWith('/') ? { key: `${key.slice(0, -1)}0`, inclusive: true } : { key, inclusive: false };
}

function encodeCursor(dir: string, recursive: boolean, key: string): string {
  return Buffer.from(JSON.stringify([1, dir, recursive ? 1 : 0, key]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, dir: string, recursive: boolean): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed[0] !== 1 || typeof parsed[3] !== 'string') {
    throw new DfsError(Code.InvalidArgument, 'bad list cursor: pass the nextCursor of the previous page unchanged');
  }
  if (parsed[1] !== dir || parsed[2] !== (recursive ? 1 : 0)) {
    throw new DfsError(
      Code.InvalidArgument,
      `list cursor belongs to another listing (of ${JSON.stringify(parsed[1])}): use it with the same directory and recursive flag`,
    );
  }
  const key = parsed[3];
  // A key outside the listing would end it silently (the scan starts past its last entry), and one
  // deeper than a one-level listing shows would list a directory twice: cursors we made never do.
  const rest = key.startsWith(subtreeStart(dir)) ? key.slice(subtreeStart(dir).length) : '';
  const slash = rest.indexOf('/');
  const shape = recursive ? !rest.endsWith('/') : slash < 0 || slash === rest.length - 1;
  if (rest === '' || rest.startsWith('/') || !shape) {
    throw new DfsError(Code.InvalidArgument, 'the cursor does not belong to this listing: start again without one');
  }
  return key;
}
