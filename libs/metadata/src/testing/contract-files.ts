// Contract: committing files (round trip, overwrite, idempotency, races),
// reading chunk lists and the GC hand-off of replaced versions.
import { describe, expect, it } from '@jest/globals';
import { Code } from '@dfs/proto';
import {
  allChunks,
  allGc,
  commitInput,
  commitUpload,
  expectCode,
  fileFields,
  gcChunkIds,
  gcFileIds,
  makeChunks,
  openUpload,
  putFile,
  uploadRecord,
  type ContractContext,
} from './contract-fixtures.js';

export function filesContract(ctx: ContractContext): void {
  describe('commitFile and getFile', () => {
    it('round-trips a file record and its chunk list', async () => {
      const input = commitInput('/docs/report.pdf', { chunkCount: 3, chunkSize: 4096, size: 3 * 4096 - 100, replication: 2 });
      input.chunks[2]!.size = 4096 - 100;
      const before = Date.now();
      const result = await commitUpload(ctx.store, input);
      expect(result.alreadyCommitted).toBe(false);
      expect(result.replaced).toBeUndefined();
      expect(result.file).toMatchObject({ path: '/docs/report.pdf', size: 3 * 4096 - 100, chunkSize: 4096, replication: 2, chunkCount: 3 });
      expect([...result.file.sha256]).toEqual([...input.sha256]);
      expect(result.file.fileId).toEqual(expect.any(String));
      expect(result.file.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);

      const got = await ctx.store.getFile('/docs/report.pdf');
      expect(got).toBeDefined();
      expect(fileFields(got!)).toEqual(fileFields(result.file));

      const chunks = await allChunks(ctx.store, result.file.fileId);
      expect(chunks.map((c) => ({ ...c, sha256: [...c.sha256] }))).toEqual(input.chunks.map((c) => ({ ...c, sha256: [...c.sha256] })));
      expect((await allChunks(ctx.store, result.file.fileId, 1)).map((c) => c.index)).toEqual([1, 2]);
      expect(await allChunks(ctx.store, result.file.fileId, 3)).toEqual([]);
    });

    it('returns undefined for a missing path and nothing for an unknown file id', async () => {
      await putFile(ctx.store, '/a/b');
      expect(await ctx.store.getFile('/a')).toBeUndefined();
      expect(await ctx.store.getFile('/a/b/c')).toBeUndefined();
      expect(await ctx.store.getFile('/nope')).toBeUndefined();
      expect(await allChunks(ctx.store, 'no-such-file-id')).toEqual([]);
    });

    it('commits an empty file (no chunks)', async () => {
      const { file } = await commitUpload(ctx.store, commitInput('/empty', { chunks: [], size: 0 }));
      expect(file).toMatchObject({ size: 0, chunkCount: 0 });
      expect(await allChunks(ctx.store, file.fileId)).toEqual([]);
    });

    it('rejects a chunk list that is not indexes 0..n-1 in order (InvalidArgument)', async () => {
      const chunks = makeChunks(3);
      [chunks[1], chunks[2]] = [chunks[2]!, chunks[1]!];
      await expectCode(commitUpload(ctx.store, commitInput('/bad', { chunks })), Code.InvalidArgument);
      expect(await ctx.store.getFile('/bad')).toBeUndefined();
    });

    it('refuses an existing path without overwrite (AlreadyExists) and changes nothing', async () => {
      const first = await putFile(ctx.store, '/x');
      const again = commitInput('/x');
      // An upload that placed nothing: what holds the loser's chunks below is only what the failed commit wrote.
      await openUpload(ctx.store, again, { placements: [] });
      const err = await expectCode(ctx.store.commitFile(again), Code.AlreadyExists);
      expect(err.message).toContain('/x');
      expect((await ctx.store.getFile('/x'))!.fileId).toBe(first.file.fileId);
      expect(await allGc(ctx.store)).toEqual([]);
      // The loser's chunks are not adopted by anything.
      expect(await ctx.store.referencedChunks([again.chunks[0]!.chunkId])).toEqual(new Set());
    });

    it('replaces atomically with overwrite and queues the old version for GC as a file entry', async () => {
      const old = await putFile(ctx.store, '/x', { chunkCount: 3 });
      const next = await commitUpload(ctx.store, commitInput('/x', { overwrite: true, chunkCount: 1 }));
      expect(next.replaced?.fileId).toBe(old.file.fileId);
      expect(next.file.fileId).not.toBe(old.file.fileId);
      expect((await ctx.store.getFile('/x'))!.fileId).toBe(next.file.fileId);

      const gc = await allGc(ctx.store);
      expect(gc).toHaveLength(1);
      expect(gc[0]).toMatchObject({ kind: 'file', fileId: old.file.fileId, reason: 'overwritten' });
      expect(gc[0]!.enqueuedAt).toBeInstanceOf(Date);
      // The old chunk list stays readable until the collector purges it.
      expect(await allChunks(ctx.store, old.file.fileId)).toHaveLength(3);
      await ctx.store.purgeFile(old.file.fileId);
      expect(await allChunks(ctx.store, old.file.fileId)).toEqual([]);
      expect(await allChunks(ctx.store, next.file.fileId)).toHaveLength(1);
    });

    it('overwrite onto a free path just creates the file', async () => {
      const r = await commitUpload(ctx.store, commitInput('/fresh', { overwrite: true }));
      expect(r.replaced).toBeUndefined();
      expect(await allGc(ctx.store)).toEqual([]);
    });

    it('is idempotent on the upload id: a retry returns the same file and changes nothing', async () => {
      const input = commitInput('/idem', { overwrite: true });
      const first = await commitUpload(ctx.store, input);
      const retry = await ctx.store.commitFile(input);
      expect(retry.alreadyCommitted).toBe(true);
      expect(retry.file.fileId).toBe(first.file.fileId);
      expect(retry.replaced).toBeUndefined();
      expect((await ctx.store.getFile('/idem'))!.fileId).toBe(first.file.fileId);
      expect(await allGc(ctx.store)).toEqual([]);
      expect((await ctx.store.counts()).files).toBe(1);
      // Also without overwrite: a retry is not AlreadyExists.
      const plain = commitInput('/idem2');
      const a = await commitUpload(ctx.store, plain);
      const b = await ctx.store.commitFile(plain);
      expect([b.alreadyCommitted, b.file.fileId]).toEqual([true, a.file.fileId]);
      // And the coordinator can look the upload id up after the upload record is gone.
      expect((await ctx.store.getCommittedUpload(plain.uploadId))?.fileId).toBe(a.file.fileId);
      expect(await ctx.store.getCommittedUpload('never-committed')).toBeUndefined();
    });

    it('removes the upload on commit and collects its abandoned and unused placements', async () => {
      const up = uploadRecord('/up');
      await ctx.store.createUpload(up);
      const chunks = makeChunks(2);
      const spare = makeChunks(1)[0]!.chunkId;
      await ctx.store.placeChunks(up.uploadId, [{ index: 0, chunkId: 'f'.repeat(32), nodeIds: ['n1'] }], up.expiresAt);
      await ctx.store.placeChunks(
        up.uploadId,
        [
          { index: 0, chunkId: chunks[0]!.chunkId, nodeIds: ['n1'] },
          { index: 1, chunkId: chunks[1]!.chunkId, nodeIds: ['n2'] },
          { index: 2, chunkId: spare, nodeIds: ['n3'] },
        ],
        up.expiresAt,
      );
      await ctx.store.commitFile(commitInput('/up', { uploadId: up.uploadId, chunks }));
      expect(await ctx.store.getUpload(up.uploadId)).toBeUndefined();
      expect((await ctx.store.counts()).uploads).toBe(0);
      expect(gcChunkIds(await allGc(ctx.store)).sort()).toEqual(['f'.repeat(32), spare].sort());
      expect(await ctx.store.referencedChunks([chunks[0]!.chunkId, 'f'.repeat(32)])).toEqual(new Set([chunks[0]!.chunkId]));
    });

    it('refuses to commit onto a directory, or below a file (FailedPrecondition)', async () => {
      await putFile(ctx.store, '/d/inner');
      await expectCode(commitUpload(ctx.store, commitInput('/d', { overwrite: true })), Code.FailedPrecondition);
      await putFile(ctx.store, '/f');
      await expectCode(commitUpload(ctx.store, commitInput('/f/below', { overwrite: true })), Code.FailedPrecondition);
      expect(await ctx.store.getFile('/d')).toBeUndefined();
      expect(await ctx.store.getFile('/f/below')).toBeUndefined();
    });

    it('counts files, their chunks and open uploads', async () => {
      await putFile(ctx.store, '/c1', { chunkCount: 2 });
      await putFile(ctx.store, '/c2', { chunkCount: 3 });
      await ctx.store.createUpload(uploadRecord('/c3'));
      expect(await ctx.store.counts()).toEqual({ files: 2, chunks: 5, uploads: 1 });
    });
  });

  describe('commitFile needs its upload open', () => {
    // 30 chunks as well: etcd writes a list of more than 24 before its commit transaction.
    for (const chunkCount of [2, 30]) {
      it(`refuses a commit after its upload was aborted (NotFound): nothing shows, its chunks stay queued for GC (${chunkCount} chunks)`, async () => {
        const input = commitInput('/aborted/file', { chunkCount });
        const ids = input.chunks.map((c) => c.chunkId);
        await openUpload(ctx.store, input);
        expect((await ctx.store.abortUpload(input.uploadId, 'aborted'))?.uploadId).toBe(input.uploadId);
        const err = await expectCode(ctx.store.commitFile(input), Code.NotFound);
        expect(err.message).toContain(input.uploadId);
        expect(await ctx.store.getFile('/aborted/file')).toBeUndefined();
        expect(await ctx.store.list('/', { recursive: true })).toEqual({ entries: [] });
        expect(await ctx.store.getCommittedUpload(input.uploadId)).toBeUndefined();
        expect(await ctx.store.counts()).toEqual({ files: 0, chunks: 0, uploads: 0 });
        // Queued once, by the abort, and held by nothing: the collector may delete them.
        const gc = await allGc(ctx.store);
        expect(gc).toHaveLength(1);
        expect(gcChunkIds(gc, 'aborted').sort()).toEqual([...ids].sort());
        expect(await ctx.store.referencedChunks(ids)).toEqual(new Set());
        expect(await ctx.store.liveFilesOfChunks(ids)).toEqual(new Map());
      });

      it(`refuses a commit for an upload id that was never created (NotFound) and changes nothing (${chunkCount} chunks)`, async () => {
        const input = commitInput('/never', { chunkCount });
        await expectCode(ctx.store.commitFile(input), Code.NotFound);
        expect(await ctx.store.getFile('/never')).toBeUndefined();
        expect(await ctx.store.getCommittedUpload(input.uploadId)).toBeUndefined();
        expect(await ctx.store.counts()).toEqual({ files: 0, chunks: 0, uploads: 0 });
        expect(await allGc(ctx.store)).toEqual([]);
        expect(await ctx.store.referencedChunks(input.chunks.map((c) => c.chunkId))).toEqual(new Set());
      });

      it(`stays idempotent on an upload id already committed, although its upload record is gone (${chunkCount} chunks)`, async () => {
        const input = commitInput('/done', { chunkCount });
        const first = await commitUpload(ctx.store, input);
        expect(await ctx.store.getUpload(input.uploadId)).toBeUndefined();
        // An abort arriving after the commit finds no upload and queues nothing.
        expect(await ctx.store.abortUpload(input.uploadId, 'aborted')).toBeUndefined();
        const retry = await ctx.store.commitFile(input);
        expect([retry.alreadyCommitted, retry.file.fileId, retry.replaced]).toEqual([true, first.file.fileId, undefined]);
        expect((await ctx.store.getFile('/done'))!.fileId).toBe(first.file.fileId);
        expect(await allGc(ctx.store)).toEqual([]);
        expect(await ctx.store.counts()).toEqual({ files: 1, chunks: chunkCount, uploads: 0 });
        expect((await allChunks(ctx.store, first.file.fileId)).map((c) => c.chunkId)).toEqual(input.chunks.map((c) => c.chunkId));
      });
    }
  });

  describe('concurrent commits to one path', () => {
    const racers = 10;

    it('without overwrite: exactly one wins, the rest get AlreadyExists and keep their uploads', async () => {
      const inputs = Array.from({ length: racers }, () => commitInput('/race', { chunkCount: 2 }));
      for (const input of inputs) await ctx.store.createUpload(uploadRecord('/race', { uploadId: input.uploadId }));
      const results = await Promise.allSettled(inputs.map((i) => ctx.store.commitFile(i)));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, file: r.value.file }] : []));
      expect(won).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(Code[(r.reason as { code: Code }).code]).toBe('AlreadyExists');
      }
      const live = await ctx.store.getFile('/race');
      expect(live!.fileId).toBe(won[0]!.file.fileId);
      expect(await allChunks(ctx.store, live!.fileId)).toEqual(
        inputs[won[0]!.i]!.chunks.map((c) => expect.objectContaining({ chunkId: c.chunkId, index: c.index })),
      );
      expect(await allGc(ctx.store)).toEqual([]);
      // A failed commit changes nothing: the losers can still be aborted and collected.
      for (const [i, input] of inputs.entries()) {
        if (i !== won[0]!.i) expect(await ctx.store.getUpload(input.uploadId)).toBeDefined();
      }
      expect((await ctx.store.counts()).uploads).toBe(racers - 1);
    });

    it('with overwrite: one version remains and every other one is queued for GC (nothing leaks)', async () => {
      const first = await putFile(ctx.store, '/race');
      const inputs = Array.from({ length: racers }, () => commitInput('/race', { chunkCount: 2, overwrite: true }));
      for (const input of inputs) await openUpload(ctx.store, input);
      const results = await Promise.all(inputs.map((i) => ctx.store.commitFile(i)));
      const ids = results.map((r) => r.file.fileId);
      expect(new Set(ids).size).toBe(racers);
      const live = (await ctx.store.getFile('/race'))!.fileId;
      expect(ids).toContain(live);

      const queued = gcFileIds(await allGc(ctx.store), 'overwritten');
      const expected = [first.file.fileId, ...ids.filter((id) => id !== live)];
      expect([...queued].sort()).toEqual([...expected].sort());
      // Each replaced version was replaced exactly once: the results form one chain.
      const replaced = results.flatMap((r) => (r.replaced ? [r.replaced.fileId] : []));
      expect([...replaced].sort()).toEqual([...expected].sort());
      for (const id of expected) expect(await allChunks(ctx.store, id)).toHaveLength(2);
      expect((await ctx.store.counts()).files).toBe(1);
    });
  });

  describe('large files', () => {
    (ctx.large ? it : it.skip)('commits a 200,000-chunk file and reads it back in order', async () => {
      const count = 200_000;
      const input = commitInput('/huge', { chunkCount: count, chunkSize: 8 << 20 });
      const { file } = await commitUpload(ctx.store, input);
      expect(file.chunkCount).toBe(count);
      let next = 0;
      for await (const c of ctx.store.readChunks(file.fileId)) {
        if (c.index !== next || c.chunkId !== input.chunks[next]!.chunkId) {
          throw new Error(`chunk ${next}: got index ${c.index} id ${c.chunkId}, want ${input.chunks[next]!.chunkId}`);
        }
        next++;
      }
      expect(next).toBe(count);
      expect((await allChunks(ctx.store, file.fileId, 199_990)).map((c) => c.index)).toEqual(
        Array.from({ length: 10 }, (_, i) => 199_990 + i),
      );
      const sample = input.chunks[123_456]!.chunkId;
      expect(await ctx.store.referencedChunks([sample])).toEqual(new Set([sample]));
      expect((await ctx.store.counts()).chunks).toBe(count);
      // Replacing it queues one small GC entry, not 200,000 chunk ids.
      await commitUpload(ctx.store, commitInput('/huge', { overwrite: true }));
      expect(gcFileIds(await allGc(ctx.store))).toEqual([file.fileId]);
    }, 240_000);
  });
}
