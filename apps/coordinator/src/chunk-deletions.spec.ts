import { createMembership, createMemoryMembershipStore } from '@dfs/cluster';
import { createMetadataStore, type GcEntry, type MetadataStore } from '@dfs/metadata';
import { commitUpload } from '@dfs/metadata/testing';
import { newChunkId } from '@dfs/proto';
import pino from 'pino';
import { ChunkDeletions } from './chunk-deletions.js';

/** Commits /f, one byte in `chunkId`, recorded on n1 and n2. */
async function commitOneChunkFile(store: MetadataStore, chunkId: string): Promise<void> {
  await commitUpload(store, {
    uploadId: newChunkId(),
    path: '/f',
    size: 1,
    sha256: new Uint8Array(32),
    chunkSize: 1024,
    replication: 2,
    overwrite: false,
    chunks: [{ chunkId, index: 0, size: 1, sha256: new Uint8Array(32), replicas: ['n1', 'n2'] }],
  });
}

describe('ChunkDeletions', () => {
  it('waits gcDelayMs before deleting a deleted file\'s chunks, then asks every holder (recorded or located)', async () => {
    const store = await createMetadataStore({ backend: 'memory' });
    let now = Date.now();
    const membership = createMembership({ store: createMemoryMembershipStore() });
    const chunkId = newChunkId();
    await commitOneChunkFile(store, chunkId);
    const deletions = new ChunkDeletions(store, membership, pino({ level: 'silent' }), {
      deleteDelayMs: 60_000,
      now: () => now,
      locate: (c) => [...c.replicas, 'n3'], // a copy made by re-replication
    });
    await store.deletePath('/f');
    now = Date.now(); // the entry was queued at or before this
    expect(await deletions.poll()).toBe(0);
    expect(deletions.commandsFor('n1')).toEqual([]);
    now += 60_001;
    expect(await deletions.poll()).toBe(1);
    for (const n of ['n1', 'n2', 'n3']) {
      expect(deletions.commandsFor(n).map((c) => c.command.case === 'deleteChunks' && c.command.value.chunkIds)).toEqual([[chunkId]]);
    }
    deletions.confirmRemoved('n1', [chunkId]);
    deletions.confirmRemoved('n2', [chunkId]);
    expect(await store.peekGc(10)).toHaveLength(1); // n3 still holds it
    deletions.nodeDead('n3');
    await new Promise((r) => setImmediate(r));
    expect(await store.peekGc(10)).toEqual([]);
    expect(deletions.isDeleted(chunkId)).toBe(false);
  });

  it('keeps the chunks of an aborted-upload entry that a file still references, and deletes the rest', async () => {
    const store = await createMetadataStore({ backend: 'memory' });
    const membership = createMembership({ store: createMemoryMembershipStore() });
    const stats = { capacityBytes: 1e12, usedBytes: 0, freeBytes: 1e12, chunkCount: 0, activeTransfers: 0 };
    for (const nodeId of ['n1', 'n2']) await membership.register({ nodeId, address: `127.0.0.1:${nodeId.slice(1)}`, zone: '', stats });
    const used = newChunkId();
    const unused = newChunkId();
    await commitOneChunkFile(store, used);
    // An entry no correct store writes (a commit that raced its upload's abort once did).
    const bogus: GcEntry = { gcId: 'g-bogus', kind: 'chunks', chunkIds: [used, unused], reason: 'aborted', enqueuedAt: new Date(0) };
    const peekGc = store.peekGc.bind(store);
    store.peekGc = async (limit, after) => (after === undefined ? [bogus, ...(await peekGc(limit, after))] : peekGc(limit, after));
    const deletions = new ChunkDeletions(store, membership, pino({ level: 'silent' }));
    expect(await deletions.poll()).toBe(1);
    for (const n of ['n1', 'n2']) {
      expect(deletions.commandsFor(n).map((c) => c.command.case === 'deleteChunks' && c.command.value.chunkIds)).toEqual([[unused]]);
    }
    expect(deletions.isDeleted(used)).toBe(false);
    expect(deletions.isDeleted(unused)).toBe(true);
  });
});
