// Contract: upload sessions, the GC's reference check, membership records and
// the GC queue itself.
import { describe, expect, it } from '@jest/globals';
import { Code, newChunkId } from '@dfs/proto';
import type { Placement, UploadRecord } from '../metadata-store.js';
import { allGc, commitInput, expectCode, gcChunkIds, nodeRecord, openUpload, putFile, uploadRecord, allChunks, type ContractContext } from './contract-fixtures.js';

function placement(index: number, nodeIds = ['n1', 'n2', 'n3']): Placement {
  return { index, chunkId: newChunkId(), nodeIds };
}

function comparable(u: UploadRecord): unknown {
  return { ...u, createdAt: u.createdAt.getTime(), expiresAt: u.expiresAt.getTime() };
}

export function sessionsContract(ctx: ContractContext): void {
  describe('upload sessions', () => {
    it('creates and reads back an upload, with or without a known size', async () => {
      const up = uploadRecord('/up/a', { overwrite: true, createdAt: new Date(1_700_000_000_123) });
      await ctx.store.createUpload(up);
      expect(comparable((await ctx.store.getUpload(up.uploadId))!)).toEqual(comparable(up));
      const pipe = uploadRecord('/up/pipe', { size: undefined });
      await ctx.store.createUpload(pipe);
      const got = await ctx.store.getUpload(pipe.uploadId);
      expect(got!.size).toBeUndefined();
      expect(await ctx.store.getUpload('no-such-upload')).toBeUndefined();
      await expectCode(ctx.store.createUpload(up), Code.AlreadyExists);
    });

    it('places chunks, moves a re-placed index to abandonedChunkIds, and moves expiresAt', async () => {
      const up = uploadRecord('/up/b');
      await ctx.store.createUpload(up);
      const [p0, p1] = [placement(0), placement(1)];
      const later = new Date(up.expiresAt.getTime() + 60_000);
      const r1 = await ctx.store.placeChunks(up.uploadId, [p1, p0], later);
      expect(r1.placements).toEqual([p0, p1]);
      expect(r1.expiresAt.getTime()).toBe(later.getTime());
      const p0b = placement(0, ['n4', 'n5']);
      const latest = new Date(later.getTime() + 60_000);
      const r2 = await ctx.store.placeChunks(up.uploadId, [p0b], latest);
      expect(r2.placements).toEqual([p0b, p1]);
      expect(r2.abandonedChunkIds).toEqual([p0.chunkId]);
      expect(comparable((await ctx.store.getUpload(up.uploadId))!)).toEqual(comparable(r2));
      await expectCode(ctx.store.placeChunks('no-such-upload', [placement(0)], latest), Code.NotFound);
    });

    it('aborts an upload: gone, and every placed and abandoned chunk queued for GC', async () => {
      const up = uploadRecord('/up/c');
      await ctx.store.createUpload(up);
      const [p0, p1, p0b] = [placement(0), placement(1), placement(0)];
      await ctx.store.placeChunks(up.uploadId, [p0, p1], up.expiresAt);
      await ctx.store.placeChunks(up.uploadId, [p0b], up.expiresAt);
      const aborted = await ctx.store.abortUpload(up.uploadId, 'aborted');
      expect(aborted?.uploadId).toBe(up.uploadId);
      expect(await ctx.store.getUpload(up.uploadId)).toBeUndefined();
      const gc = await allGc(ctx.store);
      expect(gcChunkIds(gc, 'aborted').sort()).toEqual([p0.chunkId, p1.chunkId, p0b.chunkId].sort());
      expect(await ctx.store.abortUpload(up.uploadId, 'aborted')).toBeUndefined();
      expect(await allGc(ctx.store)).toHaveLength(gc.length);
      await expectCode(ctx.store.placeChunks(up.uploadId, [placement(2)], up.expiresAt), Code.NotFound);
    });

    it('lists expired uploads oldest first, up to the limit, and expires them with reason "expired"', async () => {
      const t = Date.now();
      const ups = [3, 1, 2, 10].map((m) => uploadRecord(`/exp/${m}`, { expiresAt: new Date(t + m * 60_000) }));
      for (const u of ups) await ctx.store.createUpload(u);
      const now = new Date(t + 5 * 60_000);
      expect((await ctx.store.expiredUploads(now, 10)).map((u) => u.path)).toEqual(['/exp/1', '/exp/2', '/exp/3']);
      expect((await ctx.store.expiredUploads(now, 2)).map((u) => u.path)).toEqual(['/exp/1', '/exp/2']);
      const p = placement(0);
      await ctx.store.placeChunks(ups[1]!.uploadId, [p], new Date(t + 20 * 60_000));
      expect((await ctx.store.expiredUploads(now, 10)).map((u) => u.path)).toEqual(['/exp/2', '/exp/3']);
      // Moved into the past (abortUpload leaves an upload that has not expired yet).
      await ctx.store.placeChunks(ups[1]!.uploadId, [], new Date(t - 1));
      await ctx.store.abortUpload(ups[1]!.uploadId, 'expired');
      expect(gcChunkIds(await allGc(ctx.store), 'expired')).toEqual([p.chunkId]);
      expect((await ctx.store.expiredUploads(now, 10)).map((u) => u.path)).toEqual(['/exp/2', '/exp/3']);
    });
  });

  describe('expiry races', () => {
    it('expires an upload only once its expiresAt has passed, so one extended after it was listed stays open and commits', async () => {
      const t = Date.now();
      // Listed as expired by the sweeper, then extended (a placement) before the sweeper got to it.
      const extended = commitInput('/exp/extended', { chunkCount: 2 });
      await openUpload(ctx.store, extended, { expiresAt: new Date(t - 1000) });
      expect((await ctx.store.expiredUploads(new Date(), 10)).map((u) => u.uploadId)).toEqual([extended.uploadId]);
      await ctx.store.placeChunks(extended.uploadId, [], new Date(t + 60_000));
      expect(await ctx.store.abortUpload(extended.uploadId, 'expired')).toBeUndefined();
      expect((await ctx.store.getUpload(extended.uploadId))?.placements.map((p) => p.chunkId)).toEqual(extended.chunks.map((c) => c.chunkId));
      // Never listed at all: the same.
      const fresh = commitInput('/exp/fresh', { chunkCount: 1 });
      await openUpload(ctx.store, fresh, { expiresAt: new Date(t + 60_000) });
      expect(await ctx.store.abortUpload(fresh.uploadId, 'expired')).toBeUndefined();
      expect((await ctx.store.getUpload(fresh.uploadId))?.uploadId).toBe(fresh.uploadId);
      expect(await allGc(ctx.store)).toEqual([]);
      for (const input of [extended, fresh]) {
        const { file, alreadyCommitted } = await ctx.store.commitFile(input);
        expect(alreadyCommitted).toBe(false);
        expect((await ctx.store.getFile(input.path))?.fileId).toBe(file.fileId);
        expect(await ctx.store.referencedChunks(input.chunks.map((c) => c.chunkId))).toEqual(new Set(input.chunks.map((c) => c.chunkId)));
      }
      expect(await allGc(ctx.store)).toEqual([]);

      // Past its expiresAt: removed, its chunks queued, and a late commit refused (NotFound).
      const stale = commitInput('/exp/stale', { chunkCount: 2 });
      await openUpload(ctx.store, stale, { expiresAt: new Date(t - 1000) });
      expect((await ctx.store.abortUpload(stale.uploadId, 'expired'))?.uploadId).toBe(stale.uploadId);
      expect(await ctx.store.getUpload(stale.uploadId)).toBeUndefined();
      expect(gcChunkIds(await allGc(ctx.store), 'expired').sort()).toEqual(stale.chunks.map((c) => c.chunkId).sort());
      await expectCode(ctx.store.commitFile(stale), Code.NotFound);
      expect(await ctx.store.getFile('/exp/stale')).toBeUndefined();
      expect((await ctx.store.counts()).uploads).toBe(0);
    });
  });

  describe('chunk lookups', () => {
    it('referencedChunks holds committed, uploading and abandoned-but-open chunks, not unknown and collected ones', async () => {
      const { file } = await putFile(ctx.store, '/ref', { chunkCount: 2 });
      const [committed] = await allChunks(ctx.store, file.fileId);
      const up = uploadRecord('/ref2');
      await ctx.store.createUpload(up);
      const [p0, p0b] = [placement(0), placement(0)];
      await ctx.store.placeChunks(up.uploadId, [p0], up.expiresAt);
      await ctx.store.placeChunks(up.uploadId, [p0b], up.expiresAt);

      const held = [committed!.chunkId, p0b.chunkId, p0.chunkId];
      expect(await ctx.store.referencedChunks([...held, newChunkId()])).toEqual(new Set(held));

      await ctx.store.abortUpload(up.uploadId, 'aborted');
      expect(await ctx.store.referencedChunks([p0.chunkId, p0b.chunkId])).toEqual(new Set());
    });

    it('liveFilesOfChunks names the visible file of a chunk, following renames, and nothing once it is deleted or replaced', async () => {
      const { file } = await putFile(ctx.store, '/live/a', { chunkCount: 2, replication: 2 });
      const [, second] = await allChunks(ctx.store, file.fileId);
      const chunk = second!.chunkId;
      expect((await ctx.store.liveFilesOfChunks([chunk])).get(chunk)).toMatchObject({ fileId: file.fileId, path: '/live/a', replication: 2 });
      await ctx.store.rename('/live', '/moved');
      expect((await ctx.store.liveFilesOfChunks([chunk])).get(chunk)).toMatchObject({ fileId: file.fileId, path: '/moved/a' });
      const up = uploadRecord('/live/b');
      await ctx.store.createUpload(up);
      const placed = placement(0);
      await ctx.store.placeChunks(up.uploadId, [placed], up.expiresAt);
      expect(await ctx.store.liveFilesOfChunks([placed.chunkId, newChunkId()])).toEqual(new Map());
      await putFile(ctx.store, '/moved/a', { overwrite: true });
      expect(await ctx.store.liveFilesOfChunks([chunk])).toEqual(new Map());
    });
  });

  describe('membership', () => {
    it("keeps a node's administrative state beside its liveness, and clears it when told", async () => {
      await ctx.store.putNode(nodeRecord('node-d', { state: 'dead', adminState: 'draining' }));
      expect(await ctx.store.getNode('node-d')).toMatchObject({ state: 'dead', adminState: 'draining' });
      expect((await ctx.store.listNodes()).find((n) => n.nodeId === 'node-d')).toMatchObject({ adminState: 'draining' });
      await ctx.store.putNode(nodeRecord('node-d', { state: 'healthy' }));
      expect((await ctx.store.getNode('node-d'))?.adminState).toBeUndefined();
    });

    it('assigns versions that increase across all nodes, and reads records back', async () => {
      const a1 = await ctx.store.putNode(nodeRecord('node-a'));
      const b1 = await ctx.store.putNode(nodeRecord('node-b', { zone: 'z2' }));
      const a2 = await ctx.store.putNode(nodeRecord('node-a', { state: 'suspect', usedBytes: 5 }));
      expect(a1.version).toBeGreaterThan(0);
      expect(b1.version).toBeGreaterThan(a1.version);
      expect(a2.version).toBeGreaterThan(b1.version);
      const got = await ctx.store.getNode('node-a');
      expect({ ...got!, registeredAt: got!.registeredAt.getTime(), lastHeartbeat: got!.lastHeartbeat.getTime() }).toEqual({
        ...a2,
        registeredAt: a2.registeredAt.getTime(),
        lastHeartbeat: a2.lastHeartbeat.getTime(),
      });
      expect(got).toMatchObject({ state: 'suspect', usedBytes: 5, version: a2.version });
      expect(await ctx.store.getNode('node-x')).toBeUndefined();
      expect((await ctx.store.listNodes()).map((n) => [n.nodeId, n.version])).toEqual([
        ['node-a', a2.version],
        ['node-b', b1.version],
      ]);
    });

    it('keeps versions monotonic under concurrent puts', async () => {
      const puts = await Promise.all(Array.from({ length: 20 }, (_, i) => ctx.store.putNode(nodeRecord(`n${i % 5}`))));
      expect(new Set(puts.map((p) => p.version)).size).toBe(20);
      const { version } = await ctx.store.nodesChangedSince(0);
      expect(version).toBe(Math.max(...puts.map((p) => p.version)));
    });

    it('returns only records changed after a version, and a full resync for a version from the future', async () => {
      expect(await ctx.store.nodesChangedSince(0)).toEqual({ nodes: [], version: 0, full: false });
      const a = await ctx.store.putNode(nodeRecord('a'));
      await ctx.store.putNode(nodeRecord('b'));
      const c = await ctx.store.putNode(nodeRecord('c'));
      const all = await ctx.store.nodesChangedSince(0);
      expect([all.nodes.map((n) => n.nodeId).sort(), all.version, all.full]).toEqual([['a', 'b', 'c'], c.version, false]);
      const since = await ctx.store.nodesChangedSince(a.version);
      expect(since.nodes.map((n) => n.nodeId).sort()).toEqual(['b', 'c']);
      const a2 = await ctx.store.putNode(nodeRecord('a', { state: 'dead' }));
      const latest = await ctx.store.nodesChangedSince(c.version);
      expect(latest).toMatchObject({ version: a2.version, full: false });
      expect(latest.nodes.map((n) => [n.nodeId, n.state])).toEqual([['a', 'dead']]);
      expect(await ctx.store.nodesChangedSince(a2.version)).toEqual({ nodes: [], version: a2.version, full: false });
      // A caller ahead of the store (the store was reset) must resync everything.
      const ahead = await ctx.store.nodesChangedSince(a2.version + 100);
      expect([ahead.full, ahead.nodes.length, ahead.version]).toEqual([true, 3, a2.version]);
    });
  });

  describe('GC queue', () => {
    it('peeks oldest first without removing, acks remove, unknown acks are ignored', async () => {
      const f1 = await putFile(ctx.store, '/g1');
      const f2 = await putFile(ctx.store, '/g2');
      await ctx.store.deletePath('/g1');
      const up = uploadRecord('/g3');
      await ctx.store.createUpload(up);
      const p = placement(0);
      await ctx.store.placeChunks(up.uploadId, [p], up.expiresAt);
      await ctx.store.abortUpload(up.uploadId, 'aborted');
      await ctx.store.deletePath('/g2');

      const all = await ctx.store.peekGc(10);
      expect(all.map((e) => (e.kind === 'file' ? e.fileId : e.chunkIds[0]))).toEqual([f1.file.fileId, p.chunkId, f2.file.fileId]);
      expect(new Set(all.map((e) => e.gcId)).size).toBe(3);
      expect((await ctx.store.peekGc(2)).map((e) => e.gcId)).toEqual(all.slice(0, 2).map((e) => e.gcId));
      await ctx.store.ackGc([all[0]!.gcId, 'no-such-gc-id']);
      expect((await ctx.store.peekGc(10)).map((e) => e.gcId)).toEqual(all.slice(1).map((e) => e.gcId));
      await ctx.store.ackGc(all.slice(1).map((e) => e.gcId));
      expect(await ctx.store.peekGc(10)).toEqual([]);
    });

    it('pages past entries still being worked on with `after`', async () => {
      for (const name of ['a', 'b', 'c', 'd']) await putFile(ctx.store, `/pg/${name}`);
      for (const name of ['a', 'b', 'c', 'd']) await ctx.store.deletePath(`/pg/${name}`);
      const all = await ctx.store.peekGc(10);
      expect(all).toHaveLength(4);
      const first = await ctx.store.peekGc(2);
      const rest = await ctx.store.peekGc(10, first.at(-1)!.gcId);
      expect(rest.map((e) => e.gcId)).toEqual(all.slice(2).map((e) => e.gcId));
      expect(await ctx.store.peekGc(10, all.at(-1)!.gcId)).toEqual([]);
      // After an acknowledged entry, what follows it is still found.
      await ctx.store.ackGc([all[1]!.gcId]);
      expect((await ctx.store.peekGc(10, all[1]!.gcId)).map((e) => e.gcId)).toEqual(all.slice(2).map((e) => e.gcId));
    });

    it('purgeFile drops a collected file for good and refuses a live one (FailedPrecondition)', async () => {
      const { file } = await putFile(ctx.store, '/live', { chunkCount: 2 });
      await expectCode(ctx.store.purgeFile(file.fileId), Code.FailedPrecondition);
      expect(await allChunks(ctx.store, file.fileId)).toHaveLength(2);
      await ctx.store.deletePath('/live');
      await ctx.store.purgeFile(file.fileId);
      await ctx.store.purgeFile(file.fileId);
      expect(await allChunks(ctx.store, file.fileId)).toEqual([]);
      expect(await ctx.store.counts()).toEqual({ files: 0, chunks: 0, uploads: 0 });
    });
  });
}
