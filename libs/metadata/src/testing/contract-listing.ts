// Contract: listing order, prefix safety and pagination. Entries come in the
// UTF-8 byte order of their keys, where a directory's key is its path plus "/"
// (the order of one range scan over the path keys).
import { describe, expect, it } from '@jest/globals';
import { Code } from '@dfs/proto';
import type { ListEntry } from '../metadata-store.js';
import { expectCode, listAll, putFile, putFiles, shown, sortBytes, type ContractContext } from './contract-fixtures.js';

/** The key an entry sorts by. */
function sortKey(e: ListEntry): Buffer {
  return Buffer.from(e.kind === 'file' ? e.file.path : `${e.path}/`, 'utf8');
}

function expectStrictlyOrdered(entries: ListEntry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (Buffer.compare(sortKey(entries[i - 1]!), sortKey(entries[i]!)) >= 0) {
      throw new Error(`entries out of order at ${i}: ${shown([entries[i - 1]!, entries[i]!]).join(' then ')}`);
    }
  }
}

export function listingContract(ctx: ContractContext): void {
  describe('list', () => {
    it('lists direct children: files and each subdirectory once; "/a" never lists "/ab/x"', async () => {
      await putFiles(ctx.store, ['/a/x', '/a/b/c', '/a/b/d', '/a/b/e/f', '/a/b2', '/a/b-1', '/a/z', '/ab/x', '/a-1', '/a0']);
      const page = await ctx.store.list('/a');
      expect(shown(page.entries)).toEqual(['f:/a/b-1', 'd:/a/b', 'f:/a/b2', 'f:/a/x', 'f:/a/z']);
      expect(page.nextCursor).toBeUndefined();
      const file = page.entries.find((e) => e.kind === 'file' && e.file.path === '/a/x');
      expect(file).toMatchObject({ kind: 'file', file: { path: '/a/x', chunkCount: 1 } });

      expect(shown((await ctx.store.list('/')).entries)).toEqual(['f:/a-1', 'd:/a', 'f:/a0', 'd:/ab']);
      expect(shown((await ctx.store.list('/a/b')).entries)).toEqual(['f:/a/b/c', 'f:/a/b/d', 'd:/a/b/e']);
    });

    it('lists every file below a directory with recursive, and no directory entries', async () => {
      await putFiles(ctx.store, ['/a/x', '/a/b/c', '/a/b/e/f', '/a/b-1', '/ab/x', '/a0', '/b']);
      expect(shown((await ctx.store.list('/a', { recursive: true })).entries)).toEqual([
        'f:/a/b-1',
        'f:/a/b/c',
        'f:/a/b/e/f',
        'f:/a/x',
      ]);
      expect(shown((await ctx.store.list('/', { recursive: true })).entries)).toEqual([
        'f:/a/b-1',
        'f:/a/b/c',
        'f:/a/b/e/f',
        'f:/a/x',
        'f:/a0',
        'f:/ab/x',
        'f:/b',
      ]);
    });

    it('is empty for a directory with nothing below it, or a file', async () => {
      await putFile(ctx.store, '/file');
      for (const dir of ['/none', '/fil', '/file']) {
        for (const recursive of [false, true]) expect(await ctx.store.list(dir, { recursive })).toEqual({ entries: [] });
      }
      expect(await ctx.store.list('/file/..x')).toEqual({ entries: [] });
    });

    it('sorts unicode names by their UTF-8 bytes, not UTF-16 code units', async () => {
      const names = ['Z', 'z', 'é', '日本', '\uFFFD', '😀', '\uE000', 'a b', 'a'];
      await putFiles(ctx.store, names.map((n) => `/u/${n}`));
      const want = sortBytes(names.map((n) => `/u/${n}`));
      // The cases where the two orders differ are in the set.
      expect(want.indexOf('/u/😀')).toBeGreaterThan(want.indexOf('/u/\uFFFD'));
      for (const recursive of [false, true]) {
        expect(shown((await ctx.store.list('/u', { recursive })).entries)).toEqual(want.map((p) => `f:${p}`));
        // Page by page as well, one entry at a time.
        expect(shown((await listAll(ctx.store, '/u', { recursive, limit: 1 })).entries)).toEqual(want.map((p) => `f:${p}`));
      }
    });

    it('pages through directories, each directory exactly once across page boundaries', async () => {
      const paths: string[] = [];
      for (const d of ['d1', 'd2', 'd3']) for (let i = 0; i < 5; i++) paths.push(`/p/${d}/f${i}`);
      paths.push('/p/d1-x', '/p/f', '/p/d2/deep/er', '/p0/x');
      await putFiles(ctx.store, paths);
      const whole = shown((await ctx.store.list('/p')).entries);
      expect(whole).toEqual(['f:/p/d1-x', 'd:/p/d1', 'd:/p/d2', 'd:/p/d3', 'f:/p/f']);
      for (const limit of [1, 2, 3, 4]) {
        const { entries, pages } = await listAll(ctx.store, '/p', { limit });
        expect(shown(entries)).toEqual(whole);
        expect(pages).toBe(Math.ceil(whole.length / limit));
      }
      const recursiveWhole = shown((await ctx.store.list('/p', { recursive: true })).entries);
      expect(recursiveWhole).toHaveLength(18);
      for (const limit of [1, 5, 17, 18]) {
        const { entries, pages } = await listAll(ctx.store, '/p', { recursive: true, limit });
        expect(shown(entries)).toEqual(recursiveWhole);
        expect(pages).toBe(Math.ceil(18 / limit));
      }
    });

    it('keeps a cursor valid across changes: nothing repeated, later entries still come', async () => {
      await putFiles(ctx.store, ['/c/b', '/c/d', '/c/f', '/c/h']);
      const first = await ctx.store.list('/c', { limit: 2 });
      expect(shown(first.entries)).toEqual(['f:/c/b', 'f:/c/d']);
      // Remove the entry the cursor points after, add one before and one after it.
      await ctx.store.deletePath('/c/d');
      await putFiles(ctx.store, ['/c/a', '/c/e']);
      const rest = await ctx.store.list('/c', { limit: 10, cursor: first.nextCursor });
      expect(shown(rest.entries)).toEqual(['f:/c/e', 'f:/c/f', 'f:/c/h']);
      expect(rest.nextCursor).toBeUndefined();
    });

    it('ends with a page without nextCursor, even when the last page is full', async () => {
      await putFiles(ctx.store, ['/e/1', '/e/2', '/e/3', '/e/4']);
      const p1 = await ctx.store.list('/e', { limit: 2 });
      const p2 = await ctx.store.list('/e', { limit: 2, cursor: p1.nextCursor });
      expect(shown(p2.entries)).toEqual(['f:/e/3', 'f:/e/4']);
      expect(p2.nextCursor).toBeUndefined();
      // A directory that ends the listing counts too.
      await putFiles(ctx.store, ['/g/a', '/g/z/1', '/g/z/2']);
      const g1 = await ctx.store.list('/g', { limit: 2 });
      expect([shown(g1.entries), g1.nextCursor]).toEqual([['f:/g/a', 'd:/g/z'], undefined]);
    });

    it('defaults to pages of 1,000 and rejects a limit outside 1..10,000 (InvalidArgument)', async () => {
      const paths = Array.from({ length: 1005 }, (_, i) => `/many/${String(i).padStart(4, '0')}`);
      await putFiles(ctx.store, paths);
      const page = await ctx.store.list('/many');
      expect(page.entries).toHaveLength(1000);
      expect(page.nextCursor).toBeDefined();
      const last = await ctx.store.list('/many', { cursor: page.nextCursor });
      expect(shown(last.entries)).toEqual(paths.slice(1000).map((p) => `f:${p}`));
      await expectCode(ctx.store.list('/many', { limit: 0 }), Code.InvalidArgument);
      await expectCode(ctx.store.list('/many', { limit: 10_001 }), Code.InvalidArgument);
      expect((await ctx.store.list('/many', { limit: 10_000 })).entries).toHaveLength(1005);
    }, 60_000);

    it('rejects a cursor that is not one of its own (InvalidArgument)', async () => {
      await putFiles(ctx.store, ['/k/1', '/k/2']);
      await expectCode(ctx.store.list('/k', { cursor: 'not a cursor!' }), Code.InvalidArgument);
    });

    (ctx.large ? it : it.skip)(
      'pages through 100,000 entries 1,000 at a time with no duplicates or misses',
      async () => {
        // 99,990 files directly in /big (inserted out of order) plus 10 subdirectories, and neighbours that must not show.
        const names = Array.from({ length: 99_990 }, (_, i) => `f${((i * 7919) % 99_990).toString(36)}${i % 1000 === 0 ? 'é' : ''}`);
        const paths = names.map((n) => `/big/${n}`);
        for (let d = 0; d < 10; d++) paths.push(`/big/dir${d}/inner`);
        paths.push('/big0/x', '/bi/g', '/big-x');
        await putFiles(ctx.store, paths, 500);

        const flat = await listAll(ctx.store, '/big', { limit: 1000 });
        expect(flat.pages).toBe(100);
        expect(flat.entries).toHaveLength(100_000);
        expectStrictlyOrdered(flat.entries);
        expect(flat.entries.filter((e) => e.kind === 'directory')).toHaveLength(10);
        expect(new Set(flat.entries.map((e) => (e.kind === 'file' ? e.file.path : e.path))).size).toBe(100_000);

        const deep = await listAll(ctx.store, '/big', { limit: 1000, recursive: true });
        expect(deep.entries).toHaveLength(100_000);
        expectStrictlyOrdered(deep.entries);
        const want = sortBytes(paths.filter((p) => p.startsWith('/big/')));
        expect(deep.entries.map((e) => (e.kind === 'file' ? e.file.path : ''))).toEqual(want);
      },
      // Each file is an upload opened and then committed (several etcd round trips, two of them writes): ~7 min on 2 cores.
      1_200_000,
    );
  });
}
