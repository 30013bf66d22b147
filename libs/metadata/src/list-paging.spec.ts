import { Code, isDfsError } from '@dfs/proto';
import { compareUtf8 } from './compare-utf8.js';
import { listPage } from './list-paging.js';
import type { FileRecord } from './metadata-store.js';

function seekOver(paths: string[]) {
  const sorted = [...paths].sort(compareUtf8);
  const seeks: string[] = [];
  const seek = (from: { key: string; inclusive: boolean }): FileRecord | undefined => {
    seeks.push(from.key);
    const path = sorted.find((p) => (from.inclusive ? compareUtf8(p, from.key) >= 0 : compareUtf8(p, from.key) > 0));
    return path === undefined ? undefined : ({ path } as FileRecord);
  };
  return { seek, seeks };
}

function thrown(fn: () => unknown): Code | undefined {
  try {
    fn();
  } catch (err) {
    return isDfsError(err) ? err.code : undefined;
  }
  return undefined;
}

describe('listPage', () => {
  it('skips a whole subdirectory with one seek instead of walking its files', () => {
    const files = Array.from({ length: 500 }, (_, i) => `/d/sub/${i}`);
    const { seek, seeks } = seekOver([...files, '/d/a', '/d/z']);
    const page = listPage('/d', {}, seek);
    expect(page.entries.map((e) => (e.kind === 'file' ? e.file.path : `${e.path}/`))).toEqual(['/d/a', '/d/sub/', '/d/z']);
    expect(seeks.length).toBeLessThanOrEqual(4);
  });

  it('rejects cursors of another listing and garbage', () => {
    const { seek } = seekOver(['/a/1', '/a/2', '/b/1', '/b/2']);
    const { nextCursor } = listPage('/a', { limit: 1 }, seek);
    expect(nextCursor).toBeDefined();
    expect(thrown(() => listPage('/b', { cursor: nextCursor }, seek))).toBe(Code.InvalidArgument);
    expect(thrown(() => listPage('/a', { cursor: nextCursor, recursive: true }, seek))).toBe(Code.InvalidArgument);
    expect(thrown(() => listPage('/a', { cursor: 'eyJ4IjoxfQ' }, seek))).toBe(Code.InvalidArgument);
    expect(thrown(() => listPage('/a', { limit: 1.5 }, seek))).toBe(Code.InvalidArgument);
    expect(listPage('/a', { cursor: nextCursor }, seek).entries).toHaveLength(1);
  });

  it('rejects a well-formed cursor whose key is not one this listing returns, instead of ending it early', () => {
    const { seek } = seekOver(['/a/1', '/a/2', '/a/d/x', '/b/1']);
    const cursor = (dir: string, recursive: boolean, key: string) => Buffer.from(JSON.stringify([1, dir, recursive ? 1 : 0, key]), 'utf8').toString('base64url');
    const refusal = (dir: string, recursive: boolean, key: string) => {
      try {
        listPage(dir, { cursor: cursor(dir, recursive, key), recursive }, seek);
      } catch (err) {
        return isDfsError(err) ? { code: err.code, message: err.rawMessage } : undefined;
      }
      return undefined;
    };
    const refused = { code: Code.InvalidArgument, message: 'the cursor does not belong to this listing: start again without one' };
    expect(refusal('/a', false, '/zzz')).toEqual(refused); // past the listing: it would end with nothing
    expect(refusal('/a', false, '/')).toEqual(refused);
    expect(refusal('/a', false, '/a/')).toEqual(refused);
    expect(refusal('/a', false, '/a/d/x')).toEqual(refused); // deeper than a one-level listing shows
    expect(refusal('/a', true, '/a/d/')).toEqual(refused); // a recursive listing returns files only
    expect(refusal('/', false, '//x')).toEqual(refused);
    // The keys this listing does return are fine.
    expect(refusal('/a', false, '/a/1')).toBeUndefined();
    expect(refusal('/a', false, '/a/d/')).toBeUndefined();
    expect(refusal('/a', true, '/a/d/x')).toBeUndefined();
    expect(refusal('/', false, '/a/')).toBeUndefined();
  });
});
