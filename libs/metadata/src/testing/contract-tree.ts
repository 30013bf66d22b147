// Contract: deleting and renaming files and whole trees.
import { describe, expect, it } from '@jest/globals';
import { Code } from '@dfs/proto';
import {
  allChunks,
  allGc,
  commitInput,
  commitUpload,
  expectCode,
  gcFileIds,
  listAll,
  putFile,
  putFiles,
  shown,
  sortBytes,
  type ContractContext,
} from './contract-fixtures.js';

export function treeContract(ctx: ContractContext): void {
  describe('deletePath', () => {
    it('hides a file at once and queues it for GC; its chunks stay readable until purgeFile', async () => {
      const { file } = await putFile(ctx.store, '/del/one', { chunkCount: 2 });
      const [c0] = await allChunks(ctx.store, file.fileId);
      expect(await ctx.store.deletePath('/del/one')).toEqual({ filesDeleted: 1 });
      expect(await ctx.store.getFile('/del/one')).toBeUndefined();
      expect((await ctx.store.list('/')).entries).toEqual([]);
      const gc = await allGc(ctx.store);
      expect(gc).toEqual([expect.objectContaining({ kind: 'file', fileId: file.fileId, reason: 'deleted' })]);
      expect(await allChunks(ctx.store, file.fileId)).toHaveLength(2);
      expect(await ctx.store.referencedChunks([c0!.chunkId])).toEqual(new Set([c0!.chunkId]));
      await ctx.store.purgeFile(file.fileId);
      expect(await ctx.store.referencedChunks([c0!.chunkId])).toEqual(new Set());
      expect((await ctx.store.counts()).files).toBe(0);
    });

    it('forgets an upload id as committed once its file is deleted and purged: a late retry is FailedPrecondition', async () => {
      const input = commitInput('/del/retried', { chunkCount: 2 });
      const { file } = await commitUpload(ctx.store, input);
      expect((await ctx.store.getCommittedUpload(input.uploadId))?.fileId).toBe(file.fileId);
      await ctx.store.deletePath('/del/retried');
      // Deleted, not yet purged: the retry still learns what it committed.
      expect((await ctx.store.commitFile(input)).alreadyCommitted).toBe(true);
      await ctx.store.purgeFile(file.fileId);
      expect(await ctx.store.getCommittedUpload(input.uploadId)).toBeUndefined();
      await expectCode(ctx.store.commitFile(input), Code.FailedPrecondition);
      expect(await ctx.store.getFile('/del/retried')).toBeUndefined();
    });

    it('is NotFound when nothing is there', async () => {
      await putFile(ctx.store, '/a/b');
      const err = await expectCode(ctx.store.deletePath('/nothing'), Code.NotFound);
      expect(err.message).toContain('/nothing');
      await expectCode(ctx.store.deletePath('/a/b/c', { recursive: true }), Code.NotFound);
      // A string prefix is not a path prefix: "/ab" holds nothing of "/abc".
      await putFile(ctx.store, '/abc');
      await expectCode(ctx.store.deletePath('/ab', { recursive: true }), Code.NotFound);
      expect(await ctx.store.getFile('/a/b')).toBeDefined();
      expect(await ctx.store.getFile('/abc')).toBeDefined();
    });

    it('refuses a non-empty directory without recursive (FailedPrecondition)', async () => {
      await putFile(ctx.store, '/dir/x');
      await expectCode(ctx.store.deletePath('/dir'), Code.FailedPrecondition);
      expect(await ctx.store.getFile('/dir/x')).toBeDefined();
    });

    it('deletes a whole tree with recursive, and nothing beside it', async () => {
      const inside = ['/t/a', '/t/b/c', '/t/b/d/e'];
      const outside = ['/t0', '/tt/a', '/t-x', '/u'];
      const ids: string[] = [];
      for (const p of inside) ids.push((await putFile(ctx.store, p)).file.fileId);
      for (const p of outside) await putFile(ctx.store, p);
      expect(await ctx.store.deletePath('/t', { recursive: true })).toEqual({ filesDeleted: 3 });
      for (const p of inside) expect(await ctx.store.getFile(p)).toBeUndefined();
      for (const p of outside) expect(await ctx.store.getFile(p)).toBeDefined();
      expect([...gcFileIds(await allGc(ctx.store), 'deleted')].sort()).toEqual([...ids].sort());
      expect(shown((await listAll(ctx.store, '/', { recursive: true })).entries)).toEqual(['f:/t-x', 'f:/t0', 'f:/tt/a', 'f:/u']);
    });

    it('deletes a single file with recursive too', async () => {
      await putFile(ctx.store, '/solo');
      expect(await ctx.store.deletePath('/solo', { recursive: true })).toEqual({ filesDeleted: 1 });
    });
  });

  describe('rename', () => {
    it('moves a file, keeping its id and chunks', async () => {
      const { file } = await putFile(ctx.store, '/r/a', { chunkCount: 3 });
      expect(await ctx.store.rename('/r/a', '/s/b')).toEqual({ filesRenamed: 1 });
      expect(await ctx.store.getFile('/r/a')).toBeUndefined();
      const moved = await ctx.store.getFile('/s/b');
      expect(moved).toMatchObject({ path: '/s/b', fileId: file.fileId, size: file.size, chunkCount: 3 });
      expect(await allChunks(ctx.store, file.fileId)).toHaveLength(3);
      expect(await allGc(ctx.store)).toEqual([]);
    });

    it('is NotFound for a missing source', async () => {
      await expectCode(ctx.store.rename('/missing', '/x'), Code.NotFound);
    });

    it('refuses a taken target without overwrite (AlreadyExists), replaces a file with overwrite', async () => {
      const a = await putFile(ctx.store, '/a');
      const b = await putFile(ctx.store, '/b');
      await expectCode(ctx.store.rename('/a', '/b'), Code.AlreadyExists);
      expect((await ctx.store.getFile('/a'))!.fileId).toBe(a.file.fileId);
      expect((await ctx.store.getFile('/b'))!.fileId).toBe(b.file.fileId);

      expect(await ctx.store.rename('/a', '/b', { overwrite: true })).toEqual({ filesRenamed: 1 });
      expect(await ctx.store.getFile('/a')).toBeUndefined();
      expect((await ctx.store.getFile('/b'))!.fileId).toBe(a.file.fileId);
      expect(await allGc(ctx.store)).toEqual([expect.objectContaining({ kind: 'file', fileId: b.file.fileId, reason: 'overwritten' })]);
    });

    it('moves a whole tree, and nothing beside it', async () => {
      const inside = ['/src/a', '/src/b/c', '/src/b/d/e'];
      for (const p of inside) await putFile(ctx.store, p);
      await putFile(ctx.store, '/src0');
      await putFile(ctx.store, '/srcx/y');
      const idOf = async (p: string) => (await ctx.store.getFile(p))!.fileId;
      const before = await Promise.all(inside.map(idOf));

      expect(await ctx.store.rename('/src', '/dst/sub')).toEqual({ filesRenamed: 3 });
      const after = await Promise.all(inside.map((p) => idOf(p.replace('/src', '/dst/sub'))));
      expect(after).toEqual(before);
      expect(shown((await listAll(ctx.store, '/', { recursive: true })).entries)).toEqual([
        'f:/dst/sub/a',
        'f:/dst/sub/b/c',
        'f:/dst/sub/b/d/e',
        'f:/src0',
        'f:/srcx/y',
      ]);
      expect((await ctx.store.getFile('/dst/sub/b/c'))!.path).toBe('/dst/sub/b/c');
    });

    it('moves and then deletes a tree of hundreds of files in nested directories', async () => {
      const paths = Array.from({ length: 300 }, (_, i) => `/big/d${i % 7}/s${i % 3}/f${i}`);
      await putFiles(ctx.store, paths, 50);
      await putFile(ctx.store, '/bigger');
      const before = await Promise.all(paths.map(async (p) => (await ctx.store.getFile(p))!.fileId));

      expect(await ctx.store.rename('/big', '/moved/big')).toEqual({ filesRenamed: 300 });
      const after = await Promise.all(paths.map((p) => ctx.store.getFile(p.replace('/big/', '/moved/big/'))));
      expect(after.map((f) => f?.fileId)).toEqual(before);
      expect(after.every((f, i) => f!.path === paths[i]!.replace('/big/', '/moved/big/'))).toBe(true);
      expect(await ctx.store.getFile(paths[0]!)).toBeUndefined();
      expect(shown((await ctx.store.list('/')).entries)).toEqual(['f:/bigger', 'd:/moved']);
      expect(shown((await ctx.store.list('/moved/big')).entries)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `d:/moved/big/d${i}`));
      expect((await listAll(ctx.store, '/moved', { recursive: true, limit: 70 })).entries).toHaveLength(300);

      expect(await ctx.store.deletePath('/moved', { recursive: true })).toEqual({ filesDeleted: 300 });
      expect(shown((await listAll(ctx.store, '/', { recursive: true })).entries)).toEqual(['f:/bigger']);
      expect(shown((await ctx.store.list('/')).entries)).toEqual(['f:/bigger']);
      expect([...gcFileIds(await allGc(ctx.store), 'deleted')].sort()).toEqual([...before].sort());
    });

    it('refuses a tree rename that would make a path longer than 4096 bytes (InvalidArgument) and changes nothing', async () => {
      // 15 components of 255 bytes: /d/<tail> is 3842 bytes; below a target of 256 bytes it would be 4096.
      const tail = Array.from({ length: 15 }, (_, i) => String(i).padEnd(255, 'x')).join('/');
      const long = `/d/${tail}`;
      await putFile(ctx.store, long);
      await putFile(ctx.store, '/d/short');
      // Bytes, not characters: "€" is 3 bytes, so this target is 258 bytes in 88 characters.
      const tooLong = `/x/${'€'.repeat(85)}`;
      const err = await expectCode(ctx.store.rename('/d', tooLong), Code.InvalidArgument);
      expect(err.message).toMatch(/4098 bytes long \(the limit is 4096\)/);
      expect(err.message).toContain(tail.slice(-100));
      expect(shown((await listAll(ctx.store, '/', { recursive: true })).entries)).toEqual(sortBytes(['f:/d/short', `f:${long}`]));
      expect(await ctx.store.list(tooLong)).toEqual({ entries: [] });

      // Exactly at the limit is fine.
      const fits = `/${'€'.repeat(85)}`;
      expect(await ctx.store.rename('/d', fits)).toEqual({ filesRenamed: 2 });
      expect(Buffer.byteLength((await ctx.store.getFile(`${fits}/${tail}`))!.path, 'utf8')).toBe(4096);
    });

    it('refuses to move a tree into itself (InvalidArgument)', async () => {
      await putFile(ctx.store, '/t/x');
      const err = await expectCode(ctx.store.rename('/t', '/t/inner'), Code.InvalidArgument);
      expect(err.message).toContain('/t');
      expect(await ctx.store.getFile('/t/x')).toBeDefined();
    });

    it('refuses a tree onto a taken target (AlreadyExists) and changes nothing', async () => {
      await putFile(ctx.store, '/t1/x');
      await putFile(ctx.store, '/t2/y');
      await putFile(ctx.store, '/f');
      await expectCode(ctx.store.rename('/t1', '/t2'), Code.AlreadyExists);
      await expectCode(ctx.store.rename('/t1', '/f'), Code.AlreadyExists);
      expect(shown((await listAll(ctx.store, '/', { recursive: true })).entries)).toEqual(['f:/f', 'f:/t1/x', 'f:/t2/y']);
    });

    it('refuses a file onto a directory (FailedPrecondition), and a rename onto itself or the root (InvalidArgument)', async () => {
      await putFile(ctx.store, '/d/x');
      await putFile(ctx.store, '/f');
      await expectCode(ctx.store.rename('/f', '/d'), Code.FailedPrecondition);
      await expectCode(ctx.store.rename('/f', '/d', { overwrite: true }), Code.FailedPrecondition);
      await expectCode(ctx.store.rename('/f', '/f'), Code.InvalidArgument);
      await expectCode(ctx.store.rename('/d', '/d'), Code.InvalidArgument);
      await expectCode(ctx.store.rename('/f', '/'), Code.InvalidArgument);
      expect(shown((await listAll(ctx.store, '/', { recursive: true })).entries)).toEqual(['f:/d/x', 'f:/f']);
    });

    it('refuses to move a file below another file (FailedPrecondition)', async () => {
      await putFile(ctx.store, '/file');
      await putFile(ctx.store, '/other');
      await expectCode(ctx.store.rename('/other', '/file/child'), Code.FailedPrecondition);
      expect(await ctx.store.getFile('/other')).toBeDefined();
    });
  });
}
