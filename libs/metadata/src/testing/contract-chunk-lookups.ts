// Contract: the batched chunk lookups (referencedChunks, liveFilesOfChunks)
// answer for every id in a batch exactly as for that id alone, whatever state
// the chunk's file or upload is in, and for more ids than one query or
// transaction takes.
import { describe, expect, it } from '@jest/globals';
import { newChunkId } from '@dfs/proto';
import type { FileRecord, MetadataStore } from '../metadata-store.js';
import { commitInput, commitUpload, fileFields, putFile, uploadRecord, type ContractContext } from './contract-fixtures.js';

/** Both answers for the whole batch, checked against the answers for each id alone. */
async function expectSameAsAlone(store: MetadataStore, ids: string[]): Promise<{ referenced: Set<string>; live: Map<string, FileRecord> }> {
  const referenced = await store.referencedChunks(ids);
  const live = await store.liveFilesOfChunks(ids);
  const single = await Promise.all(
    ids.map(async (id) => ({ id, referenced: (await store.referencedChunks([id])).has(id), live: (await store.liveFilesOfChunks([id])).get(id) })),
  );
  expect([...referenced].sort()).toEqual([...new Set(single.filter((s) => s.referenced).map((s) => s.id))].sort());
  expect([...live.keys()].sort()).toEqual([...new Set(single.filter((s) => s.live).map((s) => s.id))].sort());
  for (const s of single) if (s.live) expect(fileFields(live.get(s.id)!)).toEqual(fileFields(s.live));
  return { referenced, live };
}

export function chunkLookupsContract(ctx: ContractContext): void {
  describe('referencedChunks and liveFilesOfChunks', () => {
    it('answer for each id as for that id alone: live, renamed, deleted, replaced, purged, uploading, aborted, unknown', async () => {
      const s = ctx.store;
      const live = commitInput('/l/live', { chunkCount: 3, replication: 2 });
      await commitUpload(s, live);
      const moved = commitInput('/l/old/x', { chunkCount: 1 });
      await commitUpload(s, moved);
      await s.rename('/l/old', '/l/new');
      const deleted = commitInput('/l/gone', { chunkCount: 1 });
      await commitUpload(s, deleted);
      await s.deletePath('/l/gone');
      const replaced = commitInput('/l/over', { chunkCount: 1 });
      const { file: old } = await commitUpload(s, replaced);
      const replacement = commitInput('/l/over', { chunkCount: 1, overwrite: true });
      await commitUpload(s, replacement);
      const purged = commitInput('/l/purged', { chunkCount: 1 });
      const { file: purgedFile } = await commitUpload(s, purged);
      await s.deletePath('/l/purged');
      await s.purgeFile(purgedFile.fileId);
      const up = uploadRecord('/l/up');
      await s.createUpload(up);
      const [placed, replacedPlacement] = [newChunkId(), newChunkId()];
      await s.placeChunks(up.uploadId, [{ index: 0, chunkId: replacedPlacement, nodeIds: ['n1'] }], up.expiresAt);
      await s.placeChunks(up.uploadId, [{ index: 0, chunkId: placed, nodeIds: ['n2'] }], up.expiresAt);
      const aborted = uploadRecord('/l/aborted');
      await s.createUpload(aborted);
      const abortedChunk = newChunkId();
      await s.placeChunks(aborted.uploadId, [{ index: 0, chunkId: abortedChunk, nodeIds: ['n1'] }], aborted.expiresAt);
      await s.abortUpload(aborted.uploadId, 'aborted');
      const unknown = newChunkId();

      const ids = [...live.chunks, ...moved.chunks, ...deleted.chunks, ...replaced.chunks, ...replacement.chunks, ...purged.chunks].map((c) => c.chunkId);
      ids.push(placed, replacedPlacement, abortedChunk, unknown, live.chunks[0]!.chunkId); // and a duplicate
      const { referenced, live: files } = await expectSameAsAlone(s, ids);

      const id = (c: { chunkId: string }) => c.chunkId;
      expect([...referenced].sort()).toEqual(
        [...live.chunks.map(id), ...moved.chunks.map(id), ...deleted.chunks.map(id), replaced.chunks[0]!.chunkId, replacement.chunks[0]!.chunkId, placed, replacedPlacement].sort(),
      );
      expect([...files.keys()].sort()).toEqual([...live.chunks.map(id), moved.chunks[0]!.chunkId, replacement.chunks[0]!.chunkId].sort());
      expect(files.get(live.chunks[2]!.chunkId)).toMatchObject({ path: '/l/live', replication: 2 });
      expect(files.get(moved.chunks[0]!.chunkId)).toMatchObject({ path: '/l/new/x' });
      expect(files.get(replacement.chunks[0]!.chunkId)?.fileId).not.toBe(old.fileId);
    });

    it('answer for no ids, and for more ids and files than one query or transaction takes', async () => {
      const s = ctx.store;
      expect(await s.referencedChunks([])).toEqual(new Set());
      expect(await s.liveFilesOfChunks([])).toEqual(new Map());
      // One big file, and files spread over directories of different depths (etcd reads their ancestors' fences too).
      const big = commitInput('/many/big', { chunkCount: ctx.large ? 6_000 : 400 });
      await commitUpload(s, big);
      const small = Array.from({ length: 150 }, (_, i) => commitInput(`/many/d${i % 7}/${i % 2 ? `e${i % 3}/` : ''}f${i}`, { chunkCount: 1 }));
      for (let i = 0; i < small.length; i += 50) await Promise.all(small.slice(i, i + 50).map((input) => commitUpload(s, input)));
      const unknown = Array.from({ length: big.chunks.length }, () => newChunkId());
      const ids = [...big.chunks.map((c) => c.chunkId), ...small.map((input) => input.chunks[0]!.chunkId), ...unknown];
      // Shuffled, so known and unknown ids share every part a store splits the batch into.
      for (let i = ids.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [ids[i], ids[j]] = [ids[j]!, ids[i]!];
      }
      const referenced = await s.referencedChunks(ids);
      const files = await s.liveFilesOfChunks(ids);
      expect(referenced.size).toBe(big.chunks.length + small.length);
      for (const id of unknown) expect(referenced.has(id) || files.has(id)).toBe(false);
      expect(files.size).toBe(big.chunks.length + small.length);
      for (const c of big.chunks) expect(files.get(c.chunkId)?.path).toBe('/many/big');
      for (const input of small) expect(files.get(input.chunks[0]!.chunkId)?.path).toBe(input.path);
    }, 60_000);

    it('see a file live only while its path holds that version', async () => {
      const s = ctx.store;
      const first = commitInput('/v/x', { chunkCount: 2 });
      await commitUpload(s, first);
      const ids = first.chunks.map((c) => c.chunkId);
      expect([...(await s.liveFilesOfChunks(ids)).keys()].sort()).toEqual([...ids].sort());
      await s.rename('/v/x', '/v/y');
      await putFile(s, '/v/x'); // a new file where the old one was: not the chunks' file
      expect([...(await s.liveFilesOfChunks(ids)).values()].map((f) => f.path)).toEqual(['/v/y', '/v/y']);
      await s.deletePath('/v/y');
      expect((await s.liveFilesOfChunks(ids)).size).toBe(0);
      expect((await s.referencedChunks(ids)).size).toBe(2);
    });
  });
}
