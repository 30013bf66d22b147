// Failure scenarios on a six-datanode cluster with R=3: datanodes killed,
// down and paused during transfers, the coordinator killed, a chunk corrupted
// on disk. Each completes correctly (five live datanodes are enough for R=3),
// and nothing hangs (every call has a deadline; jest's timeout is the backstop).
import { randomBytes } from 'node:crypto';
import { createClientPool } from '@dfs/client-pool';
import { CoordinatorService } from '@dfs/proto';
import { createDfsClient, type DfsClient } from '@dfs/sdk';
import { eventually, pacedSource } from '@dfs/test-cluster';
import { startE2eCluster, type E2eCluster, type E2eNode } from './test/e2e-cluster.js';
import { chunksOf, readEveryReplica, sha256 } from './test/replicas.js';

const MiB = 1024 * 1024;

let cluster: E2eCluster;
let dfs: DfsClient;

beforeAll(async () => {
  cluster = await startE2eCluster({ name: 'e2e-faults' });
  dfs = createDfsClient({ coordinators: cluster.coordinator, idleTimeoutMs: 5_000, callTimeoutMs: 10_000 });
}, 120_000);

afterAll(async () => {
  await dfs?.close();
  await cluster?.stop();
});

// Every scenario starts from a whole cluster.
afterEach(() => cluster.heal(), 120_000);

async function bytesOf(path: string, options: { start?: number; end?: number } = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of dfs.createReadStream(path, options)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

function nodeAt(address: string): E2eNode {
  const node = cluster.datanodes.find((d) => d.address === address);
  if (!node) throw new Error(`no datanode at ${address}`);
  return node;
}

/**
 * Waits until every chunk of `path` has exactly three copies listed, each
 * read from its node and verified, and the file assembled from them is
 * `data`: 'ok', or why not at the last try (for the failure message).
 */
async function everyCopyGood(path: string, data: Buffer): Promise<string> {
  let last = 'not checked';
  await eventually(async () => {
    last = await readEveryReplica(cluster.coordinator, path, 3).then(
      (r) => (r.sha256 === sha256(data) ? 'ok' : `SHA-256 ${r.sha256}, expected ${sha256(data)}`),
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    return last === 'ok';
  }, 60_000);
  return last;
}

describe('faults', () => {
  it('a datanode killed during an upload: the upload completes on the other nodes', async () => {
    const pieces = Array.from({ length: 12 }, () => randomBytes(4 * MiB));
    const data = Buffer.concat(pieces);
    const before = new Set((await Promise.all(cluster.datanodes.map((d) => d.chunkIds()))).flat());
    let stored = 0;
    let victim: E2eNode | undefined;
    let victimHeld = 0;
    const source = pacedSource(pieces, async (i) => {
      if (i !== 4) return;
      // Chunks of this upload are on disk by now: the victim is the node
      // holding most of them, so it is surely one of this upload's targets.
      await eventually(async () => stored >= 2, 60_000);
      const held = await Promise.all(cluster.datanodes.map(async (d) => (await d.chunkIds()).filter((id) => !before.has(id)).length));
      victimHeld = Math.max(...held);
      victim = cluster.datanodes[held.indexOf(victimHeld)]!;
      await victim.kill();
    });
    // Five live nodes are more than R=3: every chunk can be placed again without the victim.
    const info = await dfs.upload('/e2e/faults/killed-upload', source, { chunkSize: 4 * MiB, onProgress: (p) => (stored = p.chunks) });
    expect(victimHeld).toBeGreaterThan(0);
    expect(info.sha256).toBe(sha256(data));
    expect(sha256(await bytesOf('/e2e/faults/killed-upload'))).toBe(sha256(data));
    // Chunks cut after the kill cannot have a copy on the dead node: they went to three others.
    for (const c of (await chunksOf(cluster.coordinator, '/e2e/faults/killed-upload')).filter((c) => c.index >= 4)) {
      expect(new Set(c.replicas.map((r) => r.nodeId)).size).toBe(3);
      expect(c.replicas.map((r) => r.nodeId)).not.toContain(victim!.nodeId);
    }
    await cluster.heal();
    // Back, the victim may hold surplus copies for a while: wait until every chunk has exactly three good ones.
    expect(await everyCopyGood('/e2e/faults/killed-upload', data)).toBe('ok');
  });

  it('a datanode down during a download: served from another replica', async () => {
    const data = randomBytes(24 * MiB);
    await dfs.upload('/e2e/faults/down', data, { chunkSize: 4 * MiB });
    const [first] = await chunksOf(cluster.coordinator, '/e2e/faults/down');
    await nodeAt(first!.replicas[0]!.address).kill();
    expect(sha256(await bytesOf('/e2e/faults/down'))).toBe(sha256(data));
  });

  it('a datanode paused with SIGSTOP: downloads and uploads complete elsewhere, nothing hangs', async () => {
    const data = randomBytes(12 * MiB);
    await dfs.upload('/e2e/faults/paused', data, { chunkSize: 4 * MiB });
    const [first] = await chunksOf(cluster.coordinator, '/e2e/faults/paused');
    const paused = nodeAt(first!.replicas[0]!.address);
    await paused.pause();
    expect(sha256(await bytesOf('/e2e/faults/paused'))).toBe(sha256(data));
    // New uploads may be placed on the paused node until it turns suspect:
    // their writes time out and go to other nodes, five live ones for R=3, so the upload succeeds.
    const more = randomBytes(12 * MiB);
    await dfs.upload('/e2e/faults/during-pause', more, { chunkSize: 4 * MiB });
    expect(sha256(await bytesOf('/e2e/faults/during-pause'))).toBe(sha256(more));
    // A paused node acknowledges nothing: no committed copy is on it.
    for (const c of await chunksOf(cluster.coordinator, '/e2e/faults/during-pause')) expect(c.replicas.map((r) => r.nodeId)).not.toContain(paused.nodeId);
  });

  it('the coordinator killed and restarted: every committed file is there, no uncommitted one', async () => {
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `/e2e/faults/restart/f${i}`, data: randomBytes(MiB + i) }));
    for (const f of files) await dfs.upload(f.path, f.data, { chunkSize: MiB });
    // An upload that never commits: created and placed, no commit.
    const pool = createClientPool();
    try {
      await pool.client(CoordinatorService, cluster.coordinator).createUpload({ path: '/e2e/faults/restart/uncommitted', size: BigInt(MiB), chunkSize: BigInt(MiB) });
    } finally {
      await pool.close();
    }
    await cluster.restartCoordinator();
    await cluster.heal();
    const listed: string[] = [];
    for await (const e of dfs.list('/e2e/faults/restart')) listed.push(e.path);
    expect(listed).toEqual(files.map((f) => f.path));
    for (const f of files) expect(sha256(await bytesOf(f.path))).toBe(sha256(f.data));
  });

  it('a chunk corrupted on disk: reads never return the bad bytes', async () => {
    const data = randomBytes(8 * MiB);
    await dfs.upload('/e2e/faults/corrupt', data, { chunkSize: MiB });
    const chunks = await chunksOf(cluster.coordinator, '/e2e/faults/corrupt');
    // Damage the first copy of every chunk: each read must notice and go elsewhere.
    for (const c of chunks) await nodeAt(c.replicas[0]!.address).corrupt(c.chunkId);
    expect(sha256(await bytesOf('/e2e/faults/corrupt'))).toBe(sha256(data));
    expect(await bytesOf('/e2e/faults/corrupt', { start: MiB - 10, end: 2 * MiB + 9 })).toEqual(data.subarray(MiB - 10, 2 * MiB + 10));
    // Healed: the corrupt copies are no longer listed and each chunk has three
    // good copies again. Every listed copy is read and verified, so this
    // cannot pass while a corrupt copy is still offered (which is the state
    // right after the corruption, with three copies listed). Not "the
    // corrupted node is gone from the list": the new copy may rightly be
    // placed on that very node, which then holds a good one.
    expect(await everyCopyGood('/e2e/faults/corrupt', data)).toBe('ok');
  });
});
