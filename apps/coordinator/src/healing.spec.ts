// Healing after a coordinator restart: the nodes' first reports are left to
// the full scan that follows a complete view (not checked chunk by chunk on a
// partial view), nothing is decided from them before that scan, and reports
// after it are checked as they come.
import { createMembership, createMemoryMembershipStore, type Membership } from '@dfs/cluster';
import { createMetadataStore, type ChunkRef, type ListOptions, type ListPage, type MetadataStore } from '@dfs/metadata';
import { commitUpload } from '@dfs/metadata/testing';
import { newChunkId } from '@dfs/proto';
import pino from 'pino';
import { Healing } from './healing.js';

const GiB = 1024 ** 3;
const logger = pino({ level: 'silent' });
const stats = { capacityBytes: 100 * GiB, usedBytes: 0, freeBytes: 100 * GiB, chunkCount: 0, activeTransfers: 0 };

let store: MetadataStore;
let membership: Membership;
/** Holds the full scan's first listing until opened (the scan is the only caller of list here). */
let openScan: () => void;

async function commit(path: string, holders: string[], replication = 3): Promise<ChunkRef> {
  const chunk = { chunkId: newChunkId(), index: 0, size: 1024, sha256: new Uint8Array(32), replicas: holders };
  await commitUpload(store, { uploadId: newChunkId(), path, size: 1024, sha256: new Uint8Array(32), chunkSize: 1024, replication, overwrite: false, chunks: [chunk] });
  return chunk;
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
