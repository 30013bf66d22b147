// Self-healing on six datanodes, R=3: a lost node's chunks are copied back
// to three live replicas (recovery time and rate printed), also when two
// nodes die at once and chunks are left with one copy (that those go first,
// within the per-node copy limits, is chunk-healer.spec.ts's to show: seen
// from outside it depends on how the one-copy chunks' only holders are
// spread); a corrupt copy is found by the scrubber and replaced;
// deletes reach a node that was down; a coordinator restart deletes no live
// chunk; a drained node can be removed with nothing under-replicated.
import { createHash, randomBytes } from 'node:crypto';
import { createClientPool, type ClientPool } from '@dfs/client-pool';
import { CoordinatorService, DatanodeService, NodeState, newChunkId, type ClusterStatusResponse } from '@dfs/proto';
import { createDfsClient, type DfsClient } from '@dfs/sdk';
import { frameBytes, writeChunkStream } from '@dfs/streamer';
import { eventually } from '@dfs/test-cluster';
import { startE2eCluster, type E2eCluster, type E2eNode } from './test/e2e-cluster.js';
import { chunksOf, readEveryReplica, sha256 } from './test/replicas.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Data one datanode must hold before it is killed (the issue asks for 1 GiB; E2E_HEAL_GIB overrides). */
const HOLD_BYTES = Number(process.env['E2E_HEAL_GIB'] ?? 1) * GiB;

let pool: ClientPool;
beforeAll(() => void (pool = createClientPool()));
afterAll(() => pool.close());

function status(cluster: E2eCluster): Promise<ClusterStatusResponse> {
  return pool.client(CoordinatorService, cluster.coordinator).clusterStatus({});
}

async function stateOf(cluster: E2eCluster, nodeId: string): Promise<NodeState | undefined> {
  return (await pool.client(CoordinatorService, cluster.coordinator).listNodes({})).nodes.find((n) => n.nodeId === nodeId)?.state;
}

/** Waits until nothing is under-replicated, missing or being copied (with `dead` nodes declared dead). */
async function waitHealed(cluster: E2eCluster, dead: number, timeoutMs: number): Promise<void> {
  let last: ClusterStatusResponse | undefined;
  const ok = await eventually(
    async () => {
      last = await status(cluster);
      return last.nodesDead === dead && last.viewComplete && last.underReplicatedChunks === 0n && last.missingChunks === 0n && last.copiesInFlight === 0n;
    },
    timeoutMs,
    200,
  );
  if (!ok) throw new Error(`not healed within ${timeoutMs} ms: ${JSON.stringify(last, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}; logs: ${cluster.logs.join(', ')}`);
}

/** Uploads `size` random bytes from a stream (never all in memory); returns the SHA-256. */
async function uploadRandom(dfs: DfsClient, path: string, size: number, chunkSize: number): Promise<string> {
  const hash = createHash('sha256');
  async function* pieces() {
    for (let left = size; left > 0; left -= chunkSize) {
      const piece = randomBytes(Math.min(chunkSize, left));
      hash.update(piece);
      yield piece;
    }
  }
  await dfs.upload(path, pieces(), { chunkSize });
  return hash.digest('hex');
}

async function mostLoaded(cluster: E2eCluster): Promise<{ node: E2eNode; chunks: number }> {
  const counts = await Promise.all(cluster.datanodes.map(async (d) => (await d.chunkIds()).length));
  const i = counts.indexOf(Math.max(...counts));
  return { node: cluster.datanodes[i]!, chunks: counts[i]! };
}

describe('re-replication', () => {
  const CHUNK = 8 * MiB;
  let cluster: E2eCluster;
  let dfs: DfsClient;
  const files = new Map<string, string>();

  beforeAll(async () => {
    cluster = await startE2eCluster({ name: 'e2e-heal' });
    dfs = createDfsClient({ coordinators: cluster.coordinator, idleTimeoutMs: 15_000 });
    // Every node ends up with about size × 3 / 6: twice HOLD_BYTES in all, and a little more.
    const fileSize = 256 * MiB;
    const count = Math.ceil((2 * HOLD_BYTES * 1.1) / fileSize);
    for (let i = 0; i < count; i += 2) {
      const batch = [i, i + 1].filter((j) => j < count).map(async (j) => files.set(`/heal/f${j}`, await uploadRandom(dfs, `/heal/f${j}`, fileSize, CHUNK)));
      await Promise.all(batch);
    }
  }, 900_000);

  afterAll(async () => {
    await dfs?.close();
    await cluster?.stop();
  });

  /**
   * Every chunk of every file on exactly three live nodes (surplus copies of a
   * returned node trimmed), and every copy of the chunks the lost nodes held
   * read back from its node and verified (the others kept their copies).
   */
  async function expectAllWhole(lost: ReadonlySet<string>): Promise<void> {
    const exact = await eventually(async () => {
      for (const path of files.keys()) if ((await chunksOf(cluster.coordinator, path)).some((c) => c.replicas.length !== 3)) return false;
      return true;
    }, 120_000);
    expect(exact).toBe(true);
    expect(lost.size).toBeGreaterThan(0);
    for (const path of files.keys()) await readEveryReplica(cluster.coordinator, path, 3, { only: lost });
  }

  it('brings every chunk of a killed node holding 1 GiB back to three live copies, and says how fast', async () => {
    const { node, chunks } = await mostLoaded(cluster);
    const lost = new Set(await node.chunkIds());
    const held = chunks * CHUNK;
    expect(held).toBeGreaterThanOrEqual(HOLD_BYTES);
    const killedAt = Date.now();
    await node.kill();
    expect(await eventually(async () => (await status(cluster)).nodesDead === 1, 60_000, 100)).toBe(true);
    const deadAt = Date.now();
    await waitHealed(cluster, 1, 900_000);
    const healedAt = Date.now();
    const seconds = (healedAt - deadAt) / 1000;
    console.log(
      `re-replication of ${chunks} chunks (${(held / MiB).toFixed(0)} MiB) lost with one of six datanodes: ` +
        `${seconds.toFixed(1)} s after it was declared dead (${((healedAt - killedAt) / 1000).toFixed(1)} s after the kill), ` +
        `${(held / 1e6 / seconds).toFixed(1)} MB/s`,
    );
    await expectAllWhole(lost);
    // And the file bytes: one file downloaded whole, compared with what was uploaded.
    const [path, sha] = [...files][0]!;
    const got = createHash('sha256');
    for await (const part of dfs.createReadStream(path)) got.update(part as Buffer);
    expect(got.digest('hex')).toBe(sha);
  }, 1_200_000);

  it('restores every chunk when two nodes die at once, those left with one copy included', async () => {
    // The node killed above comes back: its copies are surplus now, and are trimmed.
    await cluster.heal();
    await waitHealed(cluster, 0, 300_000);
    // Surplus copies trimmed too: every chunk on exactly three nodes, so the kill leaves it one or two.
    const exact = await eventually(async () => {
      for (const path of files.keys()) if ((await chunksOf(cluster.coordinator, path, pool)).some((c) => c.replicas.length !== 3)) return false;
      return true;
    }, 120_000);
    expect(exact).toBe(true);
    const victims = cluster.datanodes.slice(0, 2);
    const lost = new Set((await Promise.all(victims.map((d) => d.chunkIds()))).flat());
    const dead = new Set(victims.map((d) => d.nodeId));
    // Chunks the kill leaves with one copy, by the node holding it (the only source to copy them from).
    const onlyHolders = new Map<string, number>();
    for (const path of files.keys()) {
      for (const c of await chunksOf(cluster.coordinator, path, pool)) {
        const left = c.replicas.filter((r) => !dead.has(r.nodeId));
        if (left.length === 1) onlyHolders.set(left[0]!.address, (onlyHolders.get(left[0]!.address) ?? 0) + 1);
      }
    }
    expect(onlyHolders.size).toBeGreaterThan(0);
    await Promise.all(victims.map((d) => d.kill()));
    expect(await eventually(async () => (await status(cluster)).nodesDead === 2, 60_000, 100)).toBe(true);
    // The coordinator sees chunks down to one copy (and then restores them with the rest).
    expect(await eventually(async () => (await status(cluster)).oneCopyChunks > 0n, 60_000, 100)).toBe(true);
    console.log(`two of six datanodes killed: chunks left with one copy, by their only holder: ${JSON.stringify(Object.fromEntries(onlyHolders))}`);
    await waitHealed(cluster, 2, 900_000);
    await expectAllWhole(lost);
  }, 1_200_000);
});

describe('repair and cleanup', () => {
  let cluster: E2eCluster;
  let dfs: DfsClient;

  beforeAll(async () => {
    cluster = await startE2eCluster({
      name: 'e2e-repair',
      coordinatorEnv: { DFS_GC_DELAY: '0s', DFS_ORPHAN_GRACE: '3s' },
      datanodeEnv: { DATANODE_SCRUB_RATE: '64MiB', DATANODE_SCRUB_INTERVAL: '500ms' },
    });
    dfs = createDfsClient({ coordinators: cluster.coordinator, idleTimeoutMs: 10_000 });
  }, 120_000);

  afterAll(async () => {
    await dfs?.close();
    await cluster?.stop();
  });

  /** Set by the drain scenario: a drained node cannot be listed healthy again (there is no undrain). */
  let drained: E2eNode | undefined;

  // Every scenario starts from a whole cluster, also after one failed with a
  // node down; but for the drained one, which comes last.
  afterEach(async () => {
    if (!drained) await cluster.heal();
  }, 120_000);

  const nodeAt = (address: string) => cluster.datanodes.find((d) => d.address === address)!;

  it('a flipped byte is found by the scrubber and replaced from a good copy; downloads stay correct meanwhile', async () => {
    const data = randomBytes(8 * MiB);
    await dfs.upload('/repair/scrubbed', data, { chunkSize: MiB });
    const chunk = (await chunksOf(cluster.coordinator, '/repair/scrubbed'))[3]!;
    await nodeAt(chunk.replicas[1]!.address).corrupt(chunk.chunkId);
    let reads = 0;
    const healed = await eventually(async () => {
      const got = createHash('sha256');
      for await (const part of dfs.createReadStream('/repair/scrubbed')) got.update(part as Buffer);
      expect(got.digest('hex')).toBe(sha256(data));
      reads++;
      // Every listed copy reads back verified: the bad one is no longer offered.
      return readEveryReplica(cluster.coordinator, '/repair/scrubbed', 3).then(
        () => true,
        () => false,
      );
    }, 60_000);
    expect(healed).toBe(true);
    expect(reads).toBeGreaterThan(0);
  });

  it('a file deleted while one of its nodes is down: the node deletes its copies when it is back', async () => {
    await dfs.upload('/repair/deleted', randomBytes(4 * MiB), { chunkSize: MiB });
    const ids = (await chunksOf(cluster.coordinator, '/repair/deleted')).map((c) => c.chunkId);
    const [first] = await chunksOf(cluster.coordinator, '/repair/deleted');
    const down = nodeAt(first!.replicas[0]!.address);
    await down.kill();
    await dfs.delete('/repair/deleted');
    // Declared dead meanwhile, so it comes back through registration and a full report.
    expect(await eventually(async () => (await stateOf(cluster, down.nodeId)) === NodeState.DEAD, 60_000, 100)).toBe(true);
    await down.start();
    const gone = await eventually(async () => {
      const held = new Set((await Promise.all(cluster.datanodes.map((d) => d.chunkIds()))).flat());
      return ids.every((id) => !held.has(id));
    }, 60_000);
    expect(gone).toBe(true);
  });

  it('a coordinator restart deletes no live chunk; a true orphan goes after the grace period', async () => {
    for (let i = 0; i < 5; i++) await dfs.upload(`/repair/live/f${i}`, randomBytes(2 * MiB), { chunkSize: MiB });
    // A chunk no upload placed: stored straight on a datanode.
    const orphanId = newChunkId();
    const host = cluster.datanodes[0]!;
    await writeChunkStream(pool.client(DatanodeService, host.address), { chunkId: orphanId, frames: frameBytes((async function* () { yield randomBytes(1000); })(), 64 * 1024), minReplicas: 1 });
    // The copies of these files, node by node (earlier scenarios may still be trimming surplus copies of theirs).
    const live = new Set<string>();
    for (let i = 0; i < 5; i++) for (const c of await chunksOf(cluster.coordinator, `/repair/live/f${i}`)) live.add(c.chunkId);
    const copies = async () => Promise.all(cluster.datanodes.map(async (d) => (await d.chunkIds()).filter((id) => live.has(id)).sort()));
    const before = await copies();
    expect(before.flat()).toHaveLength(live.size * 3);
    await cluster.restartCoordinator();
    await cluster.heal();
    expect(await eventually(async () => (await status(cluster)).viewComplete, 60_000)).toBe(true);
    const orphanGone = await eventually(async () => !(await host.chunkIds()).includes(orphanId), 60_000);
    expect(orphanGone).toBe(true);
    expect(await copies()).toEqual(before);
    for (let i = 0; i < 5; i++) await expect(readEveryReplica(cluster.coordinator, `/repair/live/f${i}`, 3)).resolves.toMatchObject({ chunks: 2 });
  });

  it('a drained node can be stopped with nothing under-replicated', async () => {
    const data = randomBytes(16 * MiB);
    await dfs.upload('/repair/drain', data, { chunkSize: MiB });
    const { node } = await mostLoaded(cluster);
    drained = node;
    await pool.client(CoordinatorService, cluster.coordinator).drainNode({ nodeId: node.nodeId });
    expect(await eventually(async () => (await stateOf(cluster, node.nodeId)) === NodeState.DRAINED, 120_000, 200)).toBe(true);
    await node.kill();
    expect(await eventually(async () => (await stateOf(cluster, node.nodeId)) === NodeState.DEAD, 60_000, 100)).toBe(true);
    await waitHealed(cluster, 1, 10_000);
    const s = await status(cluster);
    expect([s.underReplicatedChunks, s.missingChunks]).toEqual([0n, 0n]);
    expect(await readEveryReplica(cluster.coordinator, '/repair/drain', 3)).toMatchObject({ sha256: sha256(data) });
  });
});
