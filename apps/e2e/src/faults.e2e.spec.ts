// Failure scenarios on a six-datanode cluster with R=3: datanodes killed,
// down and paused during transfers, the coordinator killed, a chunk corrupted
// on disk. Each either completes correctly or fails cleanly, and nothing hangs
// (every call has a deadline; jest's timeout is the backstop).
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

describe('faults', () => {
  it('a datanode killed during an upload: the upload succeeds on new placements, or fails with no visible file', async () => {
    const pieces = Array.from({ length: 12 }, () => randomBytes(4 * MiB));
    const data = Buffer.concat(pieces);
    let victim: E2eNode | undefined;
    const source = pacedSource(pieces, async (i) => {
      if (i !== 4) return;
      // A node that holds a chunk of this upload already, so it is surely in the pipelines.
      const held = await Promise.all(cluster.datanodes.map(async (d) => (await d.chunkIds()).length));
      victim = cluster.datanodes[held.indexOf(Math.max(...held))]!;
      await victim.kill();
    });
    const outcome = await dfs.upload('/e2e/faults/killed-upload', source, { chunkSize: 4 * MiB }).then(
      (info) => ({ ok: true as const, info }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    expect(victim).toBeDefined();
    if (outcome.ok) {
      expect(outcome.info.sha256).toBe(sha256(data));
      expect(sha256(await bytesOf('/e2e/faults/killed-upload'))).toBe(sha256(data));
      await cluster.heal();
      expect((await readEveryReplica(cluster.coordinator, '/e2e/faults/killed-upload', 3)).sha256).toBe(sha256(data));
    } else {
      await expect(dfs.stat('/e2e/faults/killed-upload')).rejects.toMatchObject({ code: 'NotFound' });
    }
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
    // New uploads may be placed on the paused node until it turns suspect: their writes time out and move on.
    const more = randomBytes(12 * MiB);
    const outcome = await dfs.upload('/e2e/faults/during-pause', more, { chunkSize: 4 * MiB }).then(
      () => 'ok',
      (err: unknown) => err,
    );
    if (outcome === 'ok') expect(sha256(await bytesOf('/e2e/faults/during-pause'))).toBe(sha256(more));
    else await expect(dfs.stat('/e2e/faults/during-pause')).rejects.toMatchObject({ code: 'NotFound' });
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
    const healed = await eventually(async () => {
      const again = await chunksOf(cluster.coordinator, '/e2e/faults/corrupt');
      return again.every((c) => c.replicas.length === 3);
    }, 60_000);
    expect(healed).toBe(true);
  });
});
