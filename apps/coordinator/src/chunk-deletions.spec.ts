import { createMembership, createMemoryMembershipStore } from '@dfs/cluster';
import { createMetadataStore } from '@dfs/metadata';
import { newChunkId } from '@dfs/proto';
import pino from 'pino';
import { ChunkDeletions } from './chunk-deletions.js';

describe('ChunkDeletions', () => {
  it('waits gcDelayMs before deleting a deleted file\'s chunks, then asks every holder (recorded or located)', async () => {
    const store = await createMetadataStore({ backend: 'memory' });
    let now = Date.now();
    const membership = createMembership({ store: createMemoryMembershipStore() });
    const chunkId = newChunkId();
    await store.commitFile({
      uploadId: newChunkId(),
      path: '/f',
      size: 1,
      sha256: new Uint8Array(32),
      chunkSize: 1024,
      replication: 2,
      overwrite: false,
      chunks: [{ chunkId, index: 0, size: 1, sha256: new Uint8Array(32), replicas: ['n1', 'n2'] }],
    });
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
});
