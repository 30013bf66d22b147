// The healer's decisions on the memory store and a membership with a hand-
// moved clock (its neighbours); the copies themselves run over real processes
// in the e2e healing scenarios.
import { createMembership, createMemoryMembershipStore, type Membership } from '@dfs/cluster';
import { createMetadataStore, type ChunkRef, type FileRecord, type MetadataStore } from '@dfs/metadata';
import { commitUpload } from '@dfs/metadata/testing';
import { newChunkId, type NodeCommand } from '@dfs/proto';
import pino from 'pino';
import { ChunkHealer } from './chunk-healer.js';
import { OrphanChunks } from './orphan-chunks.js';
import { ReplicaMap } from './replica-map.js';

const GiB = 1024 ** 3;
const logger = pino({ level: 'silent' });
let now = Date.UTC(2026, 0, 1);
let store: MetadataStore;
let membership: Membership;
let replicas: ReplicaMap;
let complete: boolean;

async function cluster(zones: Record<string, string>): Promise<void> {
  membership = createMembership({ store: createMemoryMembershipStore(), clock: () => now });
  for (const [nodeId, zone] of Object.entries(zones)) {
    const free = 100 * GiB - Number(nodeId.slice(1)) * GiB; // n1 has the most room
    await membership.register({ nodeId, address: `127.0.0.1:${nodeId.slice(1)}`, zone, stats: { capacityBytes: 100 * GiB, usedBytes: 100 * GiB - free, freeBytes: free, chunkCount: 0, activeTransfers: 0 } });
  }
}

async function commit(path: string, holders: string[][], replication = 3): Promise<{ file: FileRecord; chunks: ChunkRef[] }> {
  const chunks = holders.map((nodes, index) => ({ chunkId: newChunkId(), index, size: 1024, sha256: new Uint8Array(32), replicas: nodes }));
  const { file } = await commitUpload(store, { uploadId: newChunkId(), path, size: 1024 * chunks.length, sha256: new Uint8Array(32), chunkSize: 1024, replication, overwrite: false, chunks });
  for (const c of chunks) for (const n of c.replicas) replicas.add(n, c.chunkId);
  return { file, chunks };
}

function healer(maxCopiesPerNode = 2): ChunkHealer {
  return new ChunkHealer(store, membership, replicas, logger, { maxCopiesPerNode, copyTimeoutMs: 60_000, now: () => now, viewComplete: () => complete });
}

function copies(h: ChunkHealer, nodeIds: string[]): { source: string; chunkId: string; target: string }[] {
  return nodeIds.flatMap((source) =>
    h.commandsFor(source).flatMap((c: NodeCommand) => (c.command.case === 'copyChunk' ? [{ source, chunkId: c.command.value.chunkId, target: c.command.value.target!.nodeId }] : [])),
  );
}

/** Lets time pass with everyone else beating, so exactly these nodes turn dead. */
async function kill(...nodeIds: string[]): Promise<void> {
  now += 31_000;
  for (const n of membership.nodes()) {
    if (!nodeIds.includes(n.nodeId)) await membership.heartbeat(n.nodeId, { capacityBytes: n.capacityBytes, usedBytes: n.usedBytes, freeBytes: n.freeBytes, chunkCount: 0, activeTransfers: 0 }, 0);
  }
  expect((await membership.tick()).map((t) => [t.nodeId, t.to])).toEqual(nodeIds.map((id) => [id, 'dead']));
}

beforeEach(async () => {
  store = await createMetadataStore({ backend: 'memory' });
  replicas = new ReplicaMap();
  complete = true;
});

describe('ChunkHealer', () => {
  it('queues the chunks of a dead node and copies each from a live holder to a node in a zone without a copy', async () => {
    await cluster({ n1: 'a', n2: 'b', n3: 'c', n4: 'c', n5: 'a' });
    const { chunks } = await commit('/f', [['n1', 'n2', 'n3'], ['n1', 'n2', 'n3']]);
    const h = healer();
    await kill('n3');
    await h.nodeLost('n3');
    expect(h.counts()).toMatchObject({ underReplicated: 2, oneCopy: 0, missing: 0, queued: 2, inFlight: 0 });
    await h.schedule();
    const sent = copies(h, ['n1', 'n2']);
    expect(sent.map((c) => c.chunkId).sort()).toEqual(chunks.map((c) => c.chunkId).sort());
    // Zone c lost its copy, so n4 (zone c) is the target; n5 shares zone a with n1.
    expect(sent.every((c) => c.target === 'n4' && ['n1', 'n2'].includes(c.source))).toBe(true);
    expect(h.counts()).toMatchObject({ queued: 0, inFlight: 2 });

    await h.copiesDone(sent[0]!.source, [{ chunkId: sent[0]!.chunkId, targetNodeId: 'n4', ok: true, error: '' } as never]);
    expect(replicas.holdersOf(sent[0]!.chunkId).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(h.counts()).toMatchObject({ underReplicated: 1, inFlight: 1 });
  });

  it('restores chunks down to one copy before those with two, within the per-node copy limits', async () => {
    await cluster({ n1: '', n2: '', n3: '', n4: '', n5: '', n6: '' });
    // Queued first, and n1 is its first holder: without priority it would take n1, the one-copy chunk's only source.
    const two = await commit('/two', [['n1', 'n2', 'n5']]);
    const one = await commit('/one', [['n1', 'n5', 'n6']]);
    const h = healer(1);
    await kill('n5', 'n6');
    await h.check([two.chunks[0]!.chunkId, one.chunks[0]!.chunkId]);
    expect(h.counts()).toMatchObject({ underReplicated: 2, oneCopy: 1 });
    await h.schedule();
    const sent = copies(h, ['n1', 'n2']);
    expect(sent.find((c) => c.chunkId === one.chunks[0]!.chunkId)?.source).toBe('n1');
    expect(sent.find((c) => c.chunkId === two.chunks[0]!.chunkId)?.source).toBe('n2');
    // One copy per node as source and as target.
    expect(new Set(sent.map((c) => c.target)).size).toBe(sent.length);
  });

  it('calls a chunk with no live holder missing, and forgets chunks whose file is gone', async () => {
    await cluster({ n1: '', n2: '', n3: '' });
    const { chunks } = await commit('/m', [['n3']], 1);
    const h = healer();
    await kill('n3');
    await h.nodeLost('n3');
    expect(h.counts()).toMatchObject({ missing: 1, underReplicated: 0 });
    expect(h.healthOf(chunks[0]!.chunkId, 1)).toBe('missing');
    await store.deletePath('/m');
    await h.check([chunks[0]!.chunkId]);
    expect(h.counts()).toMatchObject({ missing: 0 });
  });

  it('retries a failed copy on another target, and a copy without an outcome after the timeout', async () => {
    await cluster({ n1: '', n2: '', n3: '', n4: '', n5: '' });
    const { chunks } = await commit('/r', [['n1', 'n2', 'n3']]);
    const h = healer();
    await kill('n3');
    await h.nodeLost('n3');
    await h.schedule();
    const [first] = copies(h, ['n1', 'n2']);
    await h.copiesDone(first!.source, [{ chunkId: chunks[0]!.chunkId, targetNodeId: first!.target, ok: false, error: 'disk full' } as never]);
    now += 2_001;
    await h.schedule();
    const [second] = copies(h, ['n1', 'n2']);
    expect(second!.target).not.toBe(first!.target);
    now += 60_001;
    await h.schedule(); // timed out: back in the queue with a pause
    expect(h.counts()).toMatchObject({ inFlight: 0, queued: 1 });
  });

  it('counts a copy still running for a chunk healed another way as in flight, not queued', async () => {
    await cluster({ n1: '', n2: '', n3: '', n4: '' });
    const { chunks } = await commit('/h', [['n1', 'n2', 'n3']]);
    const h = healer();
    await kill('n3');
    await h.nodeLost('n3');
    await h.schedule();
    expect(h.counts()).toMatchObject({ underReplicated: 1, queued: 0, inFlight: 1 });
    // n3 comes back with its copy before the copy to n4 reports.
    await membership.register({ nodeId: 'n3', address: '127.0.0.1:3', stats: { capacityBytes: 100 * GiB, usedBytes: 0, freeBytes: 100 * GiB, chunkCount: 0, activeTransfers: 0 } });
    await h.check([chunks[0]!.chunkId]);
    expect(h.counts()).toMatchObject({ underReplicated: 0, queued: 0, inFlight: 1 });
  });

  it('trims surplus copies from the fullest nodes, but only with a complete view', async () => {
    await cluster({ n1: '', n2: '', n3: '', n4: '' });
    const { chunks } = await commit('/s', [['n1', 'n2', 'n3', 'n4']]);
    const h = healer();
    complete = false;
    await h.check([chunks[0]!.chunkId]);
    expect(copiesAndDeletes(h)).toEqual([]);
    complete = true;
    await h.check([chunks[0]!.chunkId]);
    // n4 has the least free space.
    expect(copiesAndDeletes(h)).toEqual([['n4', 'delete', chunks[0]!.chunkId]]);
    expect(replicas.holdersOf(chunks[0]!.chunkId).sort()).toEqual(['n1', 'n2', 'n3']);
  });

  /** A chunk with a surplus copy on n4 (the fullest node), and the healer that trims it. */
  async function surplusOnN4(path: string): Promise<{ h: ChunkHealer; id: string }> {
    await cluster({ n1: '', n2: '', n3: '', n4: '' });
    const { chunks } = await commit(path, [['n1', 'n2', 'n3', 'n4']]);
    const id = chunks[0]!.chunkId;
    const h = healer();
    await h.check([id]);
    return { h, id };
  }

  it('ends a trim the node never confirms (its delete failed) after 10 min, so the copy it still reports is trimmed again', async () => {
    const { h, id } = await surplusOnN4('/e');
    expect(copiesAndDeletes(h)).toEqual([['n4', 'delete', id]]);
    // n4 fetched the delete, which failed there (EIO): no confirmation comes. Its reports still list the copy.
    replicas.add('n4', id);
    now += 5 * 60_000;
    await h.schedule();
    await h.check([id]);
    expect(copiesAndDeletes(h)).toEqual([]); // still pending: no second trim
    now += 6 * 60_000;
    await h.schedule();
    await h.check([id]);
    expect(copiesAndDeletes(h)).toEqual([['n4', 'delete', id]]);
  });

  it('drops the unsent delete of an expired trim, so it cannot run after the chunk is trimmed elsewhere', async () => {
    const { h, id } = await surplusOnN4('/u');
    // n4 never fetches its commands for 11 min (yet is not declared dead: its heartbeats fail before the answer).
    now += 11 * 60_000;
    await h.schedule();
    expect(copiesAndDeletes(h)).toEqual([]);
    expect(replicas.holdersOf(id).sort()).toEqual(['n1', 'n2', 'n3']);
  });

  it('trims a surplus copy from a zone that holds two, not the fullest node, so the copies keep every zone', async () => {
    // n4 (zone b) has the least free space, but the only copy in zone b.
    await cluster({ n1: 'a', n2: 'c', n3: 'c', n4: 'b' });
    const { chunks } = await commit('/z', [['n1', 'n4', 'n2']]);
    const id = chunks[0]!.chunkId;
    const h = healer();
    // n2 dies, and zone c gets its copy back on n3.
    await kill('n2');
    await h.nodeLost('n2');
    await h.schedule();
    const [copy] = copies(h, ['n1', 'n4']);
    expect(copy!.target).toBe('n3');
    await h.copiesDone(copy!.source, [{ chunkId: id, targetNodeId: 'n3', ok: true, error: '' } as never]);
    // n2 comes back with its copy: four copies, two of them in zone c.
    await membership.register({ nodeId: 'n2', address: '127.0.0.1:2', zone: 'c', stats: { capacityBytes: 100 * GiB, usedBytes: 2 * GiB, freeBytes: 98 * GiB, chunkCount: 0, activeTransfers: 0 } });
    await h.check([id]);
    // Of the two in zone c, n3 is the fuller.
    expect(copiesAndDeletes(h)).toEqual([['n3', 'delete', id]]);
    expect(replicas.holdersOf(id).sort()).toEqual(['n1', 'n2', 'n4']);
  });

  it('replaces a corrupt copy, and calls a chunk corrupt when no good copy is left', async () => {
    await cluster({ n1: '', n2: '', n3: '', n4: '' });
    const { chunks } = await commit('/c', [['n1', 'n2', 'n3']]);
    const h = healer();
    await h.corruptFound('n2', [chunks[0]!.chunkId]);
    expect(h.counts()).toMatchObject({ underReplicated: 1, corrupt: 1 });
    await h.corruptFound('n1', [chunks[0]!.chunkId]);
    await h.corruptFound('n3', [chunks[0]!.chunkId]);
    expect(h.healthOf(chunks[0]!.chunkId, 3)).toBe('corrupt');
  });
});

function copiesAndDeletes(h: ChunkHealer): [string, string, string][] {
  return ['n1', 'n2', 'n3', 'n4'].flatMap((n) =>
    h.commandsFor(n).flatMap((c): [string, string, string][] =>
      c.command.case === 'deleteChunks' ? c.command.value.chunkIds.map((id) => [n, 'delete', id]) : c.command.case === 'copyChunk' ? [[n, 'copy', c.command.value.chunkId]] : [],
    ),
  );
}

describe('ReplicaMap', () => {
  it('replaces a node\'s copies with its full report, keeping what changed while the report ran', async () => {
    const map = new ReplicaMap();
    map.add('n1', 'old');
    map.add('n1', 'kept');
    await map.reportBatch('n1', 'r1', ['kept', 'new1'], false);
    map.add('n1', 'during'); // committed while the report ran: not in its snapshot
    map.remove('n1', 'new1'); // deleted while the report ran
    expect(map.hasReported('n1')).toBe(false);
    expect(await map.reportBatch('n1', 'r1', ['new2'], true)).toEqual({ added: ['new2'], dropped: ['old'], applied: true });
    expect(map.chunksOn('n1').sort()).toEqual(['during', 'kept', 'new2']);
    expect(map.hasReported('n1')).toBe(true);
    map.expectReport('n1');
    expect(map.hasReported('n1')).toBe(false);
  });
  it('applies a report in steps, and changes made between the steps win over the report', async () => {
    const map = new ReplicaMap(0);
    map.add('n1', 'stale');
    await map.reportBatch('n1', 'r1', ['a', 'b', 'deleted-during', 'c'], false);
    const applying = map.reportBatch('n1', 'r1', ['d'], true);
    await new Promise((resolve) => setImmediate(resolve)); // the apply has stepped aside
    expect(map.hasReported('n1')).toBe(false);
    map.remove('n1', 'deleted-during'); // the node confirmed it deleted: the report's snapshot is older
    map.add('n1', 'committed-during'); // committed meanwhile: not in the snapshot
    expect(await applying).toEqual({ added: ['a', 'b', 'c', 'd'], dropped: ['stale'], applied: true });
    expect(map.chunksOn('n1').sort()).toEqual(['a', 'b', 'c', 'committed-during', 'd']);
    expect(map.hasReported('n1')).toBe(true);

    // A node that registers again while its report is applied owes a new one: the old one stops and does not count.
    await map.reportBatch('n1', 'r2', ['a', 'b', 'c'], false);
    const superseded = map.reportBatch('n1', 'r2', ['e'], true);
    await new Promise((resolve) => setImmediate(resolve));
    map.expectReport('n1');
    expect((await superseded).applied).toBe(false);
    expect(map.hasReported('n1')).toBe(false);
    expect(map.chunksOn('n1')).not.toContain('e');
  });
});

describe('OrphanChunks', () => {
  it('deletes an unreferenced chunk only after the grace period, after a fresh check, and never on a failed read', async () => {
    const orphans = new OrphanChunks(store, logger, { graceMs: 60_000, now: () => now });
    const { chunks } = await commitFor(store);
    orphans.reported('n1', ['orphan', chunks[0]!.chunkId]);
    expect((await orphans.sweep(() => true)).size).toBe(0);
    now += 60_000;
    expect((await orphans.sweep(() => false)).size).toBe(0); // view incomplete: nothing
    // The store with its reference check failing (its methods live on the prototype: keep them).
    const down = Object.assign(Object.create(store) as MetadataStore, { referencedChunks: () => Promise.reject(new Error('etcd down')) });
    const failing = new OrphanChunks(down, logger, { graceMs: 0, now: () => now });
    failing.reported('n1', ['orphan']);
    expect((await failing.sweep(() => true)).size).toBe(0);
    expect(failing.size).toBe(1); // kept, to be checked again
    const due = await orphans.sweep(() => true);
    expect([...due].map(([n, c]) => [n, c.command.case === 'deleteChunks' && c.command.value.chunkIds])).toEqual([['n1', ['orphan']]]);
    expect(orphans.size).toBe(0);
  });
});

async function commitFor(s: MetadataStore): Promise<{ chunks: ChunkRef[] }> {
  const chunks = [{ chunkId: newChunkId(), index: 0, size: 1, sha256: new Uint8Array(32), replicas: ['n1'] }];
  await commitUpload(s, { uploadId: newChunkId(), path: '/o', size: 1, sha256: new Uint8Array(32), chunkSize: 1024, replication: 1, overwrite: false, chunks });
  return { chunks };
}
