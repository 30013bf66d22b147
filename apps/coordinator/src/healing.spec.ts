// Healing after a coordinator restart: the nodes' first reports are left to
// the full scan that follows a complete view (not checked chunk by chunk on a
// partial view), nothing is decided from them before that scan, and reports
// after it are checked as they come.
import { createMembership, createMemoryMembershipStore, type Membership } from '@dfs/cluster';
import { createMetadataStore, type ChunkRef, type FileRecord, type ListOptions, type ListPage, type MetadataStore } from '@dfs/metadata';
import { commitUpload } from '@dfs/metadata/testing';
import { Code, newChunkId } from '@dfs/proto';
import pino from 'pino';
import { Healing } from './healing.js';

const GiB = 1024 ** 3;
const logger = pino({ level: 'silent' });
const stats = { capacityBytes: 100 * GiB, usedBytes: 0, freeBytes: 100 * GiB, chunkCount: 0, activeTransfers: 0 };

let store: MetadataStore;
let membership: Membership;
/** Holds the full scan's first listing until opened (the scan is the only caller of list here). */
let openScan: () => void;

async function commitFile(path: string, holders: string[], replication = 3): Promise<{ chunk: ChunkRef; file: FileRecord }> {
  const chunk = { chunkId: newChunkId(), index: 0, size: 1024, sha256: new Uint8Array(32), replicas: holders };
  const { file } = await commitUpload(store, { uploadId: newChunkId(), path, size: 1024, sha256: new Uint8Array(32), chunkSize: 1024, replication, overwrite: false, chunks: [chunk] });
  return { chunk, file };
}

async function commit(path: string, holders: string[], replication = 3): Promise<ChunkRef> {
  return (await commitFile(path, holders, replication)).chunk;
}

/**
 * A coordinator past its first full scan (so an empty queue can mean a
 * drain is done), every node having reported `held[nodeId]` (default none).
 * `over` replaces store methods.
 */
async function scanned(held: Record<string, string[]> = {}, over: Partial<MetadataStore> = {}): Promise<Healing> {
  const lines: string[] = [];
  const recording = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const healing = new Healing(Object.assign(Object.create(store) as MetadataStore, over), membership, recording, {
    orphanGraceMs: 3_600_000,
    scanIntervalMs: 600_000,
    maxCopiesPerNode: 2,
    copyTimeoutMs: 60_000,
  });
  for (const nodeId of ['n1', 'n2', 'n3', 'n4']) await healing.reported(nodeId, `r-${nodeId}`, held[nodeId] ?? [], true, []);
  await tickUntil(healing, () => lines.some((l) => l.includes('replication scan done')));
  return healing;
}

async function ticks(healing: Healing, n = 5): Promise<void> {
  for (let i = 0; i < n; i++) {
    await healing.tick();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function copiesOrdered(healing: Healing): string[] {
  return ['n1', 'n2', 'n3', 'n4'].flatMap((n) => healing.commandsFor(n).flatMap((c) => (c.command.case === 'copyChunk' ? [c.command.value.chunkId] : [])));
}

/** What a coordinator has after a restart: the metadata and the node records, no replica map. */
async function restarted(): Promise<Healing> {
  const scanGate = new Promise<void>((resolve) => (openScan = resolve));
  const base = store;
  const gated = Object.assign(Object.create(base) as MetadataStore, {
    list: async (dir: string, options?: ListOptions): Promise<ListPage> => {
      await scanGate;
      return base.list(dir, options);
    },
  });
  return new Healing(gated, membership, logger, { orphanGraceMs: 3_600_000, scanIntervalMs: 600_000, maxCopiesPerNode: 2, copyTimeoutMs: 60_000 });
}

/** Runs ticks until `done` (the scan runs in the background of a tick); bounded in count, not time. */
async function tickUntil(healing: Healing, done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) {
    await healing.tick();
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(done()).toBe(true);
}

beforeEach(async () => {
  store = await createMetadataStore({ backend: 'memory' });
  membership = createMembership({ store: createMemoryMembershipStore() });
  for (const nodeId of ['n1', 'n2', 'n3', 'n4']) await membership.register({ nodeId, address: `127.0.0.1:${nodeId.slice(1)}`, zone: '', stats });
});

describe('Healing after a restart', () => {
  it('leaves the first reports to the full scan, then checks later reports as they come', async () => {
    const whole = await commit('/whole', ['n1', 'n2', 'n3']);
    const short = await commit('/short', ['n1', 'n2', 'n3']);
    const healing = await restarted();
    // n1 alone has reported: every chunk looks like one copy, which says nothing yet.
    await healing.reported('n1', 'r1', [whole.chunkId, short.chunkId], true, []);
    expect(healing.counts()).toMatchObject({ underReplicated: 0, oneCopy: 0 });
    await healing.reported('n2', 'r2', [whole.chunkId], true, []); // lost its copy of /short
    await healing.reported('n3', 'r3', [whole.chunkId], true, []); // and so did n3
    await healing.reported('n4', 'r4', [], true, []);
    expect(healing.viewComplete()).toBe(true);
    await healing.tick(); // starts the scan, held at its first listing
    expect(healing.counts()).toMatchObject({ underReplicated: 0 });

    openScan();
    await tickUntil(healing, () => healing.counts().underReplicated === 1);
    expect(healing.counts()).toMatchObject({ underReplicated: 1, oneCopy: 1, missing: 0 });
    expect(healing.healer.isUnhealthy(short.chunkId)).toBe('under-replicated');

    // After the scan, a report that drops a copy is checked at once.
    await healing.reported('n3', 'r5', [], true, []);
    expect(healing.healer.isUnhealthy(whole.chunkId)).toBe('under-replicated');
    expect(healing.counts()).toMatchObject({ underReplicated: 2 });
  });

  it('does not call a draining node drained before the first scan has evaluated its chunks', async () => {
    const onDraining = await commit('/d', ['n1', 'n2'], 2);
    await membership.setAdminState('n1', 'draining');
    const healing = await restarted();
    // The first tick evaluates the draining node's chunks: none known yet, its report is still on its way.
    await healing.tick();
    for (const nodeId of ['n1', 'n2']) await healing.reported(nodeId, `r-${nodeId}`, [onDraining.chunkId], true, []);
    for (const nodeId of ['n3', 'n4']) await healing.reported(nodeId, `r-${nodeId}`, [], true, []);
    expect(healing.viewComplete()).toBe(true);
    // The view is complete and nothing is queued, but only because the scan has not run: n1 still holds a needed copy.
    for (let i = 0; i < 5; i++) {
      await healing.tick();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(membership.node('n1')?.state).toBe('draining');

    openScan();
    await tickUntil(healing, () => healing.healer.isUnhealthy(onDraining.chunkId) !== undefined);
    await healing.tick();
    expect(membership.node('n1')?.state).toBe('draining');
    expect(healing.counts()).toMatchObject({ underReplicated: 1 });
  });
});

/** The deletes handed out with the nodes' next heartbeat answers, as [node, chunk]. */
function deletes(healing: Healing): [string, string][] {
  return ['n1', 'n2', 'n3', 'n4'].flatMap((n) => healing.commandsFor(n).flatMap((c): [string, string][] => (c.command.case === 'deleteChunks' ? c.command.value.chunkIds.map((id) => [n, id]) : [])));
}

describe('Trimming a surplus copy', () => {
  it('does not count the copy again from a report sent before its delete ran, nor trim a second one', async () => {
    const chunk = await commit('/t', ['n1', 'n2', 'n3', 'n4'], 3);
    const id = chunk.chunkId;
    const healing = await scanned({ n1: [id], n2: [id], n3: [id], n4: [id] });
    expect(deletes(healing)).toEqual([['n1', id]]);
    // The heartbeat answer that carried the delete also asked n1 for a report, and the report went first: the copy is still on disk.
    await healing.reported('n1', 'r-n1-again', [id], true, []);
    expect(healing.replicas.holdersOf(id).sort()).toEqual(['n2', 'n3', 'n4']);
    expect(deletes(healing)).toEqual([]);
    // The delete ran; the next heartbeat confirms it, and later reports do not list the copy.
    await healing.heartbeat('n1', [id], [], []);
    await healing.reported('n1', 'r-n1-later', [], true, []);
    expect(healing.replicas.holdersOf(id).sort()).toEqual(['n2', 'n3', 'n4']);
    expect(deletes(healing)).toEqual([]);
  });

  it.each(['dies', 'registers again'])('drops the unsent delete of a node that %s, and trims once when it is back', async (how) => {
    const chunk = await commit('/t', ['n1', 'n2', 'n3', 'n4'], 3);
    const id = chunk.chunkId;
    const healing = await scanned({ n1: [id], n2: [id], n3: [id], n4: [id] });
    // n1 is chosen, but goes away before a heartbeat fetches the delete.
    if (how === 'dies') healing.transitions([{ nodeId: 'n1', from: 'healthy', to: 'dead', at: new Date(), silentMs: 30_000 }]);
    healing.registered('n1');
    // Back, it reports the copy it still holds: the chunk is surplus again, and one copy goes, not two.
    await healing.reported('n1', 'r-back', [id], true, []);
    await ticks(healing);
    expect(deletes(healing)).toHaveLength(1);
    expect(healing.replicas.holdersOf(id)).toHaveLength(3);
  });
});

describe('Calling off a drain', () => {
  it('makes the node healthy again and trims the copy made meanwhile, one copy, not the node\'s', async () => {
    const chunk = await commit('/u', ['n1', 'n2', 'n3'], 3);
    const id = chunk.chunkId;
    const healing = await scanned({ n1: [id], n2: [id], n3: [id] });
    await healing.drain('n3');
    await ticks(healing);
    // The drain copies the chunk from a holder to n4, the only node without it.
    const copy = ['n1', 'n2', 'n3'].flatMap((source) => healing.commandsFor(source).flatMap((c) => (c.command.case === 'copyChunk' ? [{ source, target: c.command.value.target!.nodeId }] : [])));
    expect(copy).toEqual([expect.objectContaining({ target: 'n4' })]);
    await healing.heartbeat(copy[0]!.source, [], [], [{ chunkId: id, targetNodeId: 'n4', ok: true, error: '' } as never]);
    expect(healing.replicas.holdersOf(id).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(deletes(healing)).toEqual([]);

    await healing.undrain('n3');
    expect(membership.node('n3')?.state).toBe('healthy');
    // Four copies on healthy nodes for three wanted: one is trimmed (in the background).
    await ticks(healing);
    expect(deletes(healing)).toHaveLength(1);
    expect(healing.replicas.holdersOf(id)).toHaveLength(3);
    // Asking again, or for a node that is not draining, changes nothing.
    await healing.undrain('n3');
    await healing.undrain('n1');
    expect(membership.nodes().map((n) => n.state)).toEqual(['healthy', 'healthy', 'healthy', 'healthy']);
    await expect(healing.undrain('nobody')).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('is not undone by a healer tick under way when it lands', async () => {
    const healing = await scanned();
    await healing.drain('n1');
    await healing.drain('n2');
    await new Promise((resolve) => setImmediate(resolve)); // their (empty) drain checks finish
    // The tick lists the nodes, then awaits while it calls n1 drained: the operator's undrain of n2 lands then.
    const setAdminState = membership.setAdminState.bind(membership);
    jest.spyOn(membership, 'setAdminState').mockImplementation(async (nodeId, to) => {
      if (nodeId === 'n1' && to === 'drained') await healing.undrain('n2');
      return setAdminState(nodeId, to);
    });
    await healing.tick();
    await new Promise((resolve) => setImmediate(resolve));
    expect(membership.node('n1')?.state).toBe('drained');
    expect(membership.node('n2')?.state).toBe('healthy');
  });
});

describe('Healing after the first scan', () => {
  it('evaluates a committed chunk with a copy on a draining node, and keeps the node draining', async () => {
    const healing = await scanned();
    await healing.drain('n3');
    // The upload placed the chunk on n1, n2 and n3 before n3 started draining; the commit comes after.
    const { chunk, file } = await commitFile('/late', ['n1', 'n2', 'n3'], 3);
    healing.committed(file, [chunk]);
    expect(healing.healer.isUnhealthy(chunk.chunkId)).toBe('under-replicated');
    await ticks(healing);
    expect(membership.node('n3')?.state).toBe('draining');
    expect(copiesOrdered(healing)).toEqual([chunk.chunkId]);
  });
});

describe('A failed lookup while checking a draining node', () => {
  it('keeps the node draining and checks its chunks again', async () => {
    const chunk = await commit('/f', ['n1', 'n2'], 2);
    let failures = 0;
    const healing = await scanned(
      { n1: [chunk.chunkId], n2: [chunk.chunkId] },
      {
        liveFilesOfChunks: (ids) => (failures-- > 0 ? Promise.reject(new Error('etcd: request timed out')) : store.liveFilesOfChunks(ids)),
      },
    );
    expect(healing.counts()).toMatchObject({ underReplicated: 0 });
    failures = 1;
    await healing.drain('n1'); // its check fails: n1's chunk is neither queued nor known unwanted
    await ticks(healing);
    expect(membership.node('n1')?.state).toBe('draining');
    expect(healing.healer.isUnhealthy(chunk.chunkId)).toBe('under-replicated');
    expect(copiesOrdered(healing)).toEqual([chunk.chunkId]);
  });

  it('counts the chunks it could not look up (ClusterStatus shows them) until a lookup succeeds', async () => {
    const chunk = await commit('/f', ['n1', 'n2'], 2);
    let failing = false;
    const healing = await scanned(
      { n1: [chunk.chunkId], n2: [chunk.chunkId] },
      { liveFilesOfChunks: (ids) => (failing ? Promise.reject(new Error('etcd: request timed out')) : store.liveFilesOfChunks(ids)) },
    );
    failing = true;
    await healing.drain('n1');
    await ticks(healing);
    expect(healing.counts()).toMatchObject({ unchecked: 1 });
    failing = false;
    await ticks(healing);
    expect(healing.counts()).toMatchObject({ unchecked: 0, underReplicated: 1 });
  });
});

describe('Checking a lost node\'s chunks', () => {
  it('runs in the background: neither the transition nor the tick waits for it, and the drain waits for its end', async () => {
    const chunk = await commit('/f', ['n1', 'n2'], 2);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = false;
    const healing = await scanned(
      { n1: [chunk.chunkId], n2: [chunk.chunkId] },
      {
        liveFilesOfChunks: async (ids) => {
          if (holding) await held;
          return store.liveFilesOfChunks(ids);
        },
      },
    );
    // Lookups now hang, as on an etcd with a million of a node's chunks to go through.
    holding = true;
    // Each returns while the check is held: one that waited for it would hang
    // until release() below, and fail by the jest timeout.
    await healing.drain('n1');
    await ticks(healing);
    // Nothing is queued yet, only because the check has not got there: not drained.
    expect(membership.node('n1')?.state).toBe('draining');

    release();
    await tickUntil(healing, () => healing.healer.isUnhealthy(chunk.chunkId) === 'under-replicated');
    await ticks(healing);
    expect(membership.node('n1')?.state).toBe('draining');
    expect(copiesOrdered(healing)).toEqual([chunk.chunkId]);
  });
});
