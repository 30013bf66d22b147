import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { Code, NodeState } from '@dfs/proto';
import {
  startCoordinatorProcess,
  startDatanodeProcess,
  chunkIdsIn,
  eventually,
  startEtcd,
  stopAllProcesses,
  type CoordinatorProcess,
  type DatanodeProcess,
  type EtcdServer,
} from '@dfs/test-cluster';
import { coordinator, downloadBytes, uploadBytes } from './test/dfs-test-client.js';

// A coordinator and three datanodes as real processes, on each metadata backend.
jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const FAST = { DFS_HEARTBEAT_INTERVAL: '200ms', DFS_SUSPECT_AFTER: '1s', DFS_DEAD_AFTER: '3s', DFS_GC_DELAY: '0s' };

describe.each(['embedded', 'etcd'] as const)('coordinator with %s metadata', (backend) => {
  let etcd: EtcdServer | undefined;
  let coord: CoordinatorProcess;
  let nodes: DatanodeProcess[];
  let pool: ClientPool;
  const addr = () => coord.ready!.address;

  beforeAll(async () => {
    etcd = backend === 'etcd' ? await startEtcd({ name: 'etcd-coordinator-test' }) : undefined;
    coord = await startCoordinatorProcess({
      env: { ...FAST, METADATA_BACKEND: backend, ...(etcd ? { ETCD_ENDPOINTS: etcd.endpoint, ETCD_PREFIX: `t${Date.now()}` } : {}) },
    });
    nodes = await Promise.all(
      [1, 2, 3].map((i) => startDatanodeProcess({ name: `${backend}-dn${i}`, env: { DATANODE_COORDINATORS: coord.ready!.address } })),
    );
    pool = createClientPool({ policy: noRetry });
    expect(await eventually(async () => (await coordinator(pool, addr()).listNodes({})).nodes.filter((n) => n.state === NodeState.HEALTHY).length === 3)).toBe(true);
  });

  afterAll(async () => {
    await pool?.close();
    await stopAllProcesses();
    await etcd?.stop();
    await Promise.all([coord, ...(nodes ?? [])].filter(Boolean).map((p) => rm(p.dataDir, { recursive: true, force: true })));
  });

  it('uploads, stats, lists, renames and deletes a file; its chunks leave the disks', async () => {
    const data = randomBytes(5 * MiB + 123);
    const { file, placements, commit } = await uploadBytes(pool, addr(), '/docs/report.bin', data, { chunkSize: 2 * MiB });
    expect(Number(file.size)).toBe(data.length);
    expect(file.chunkCount).toBe(3);

    const c = coordinator(pool, addr());
    // Commit is idempotent on the upload id: a retry after a lost response gets the same file.
    expect((await c.commitUpload(commit)).file!.fileId).toBe(file.fileId);
    const got = await c.getFile({ path: '/docs/report.bin' });
    for (const chunk of got.chunks) expect(new Set(chunk.replicas.map((r) => r.nodeId)).size).toBe(3);
    expect((await downloadBytes(pool, addr(), '/docs/report.bin')).equals(data)).toBe(true);

    const root = await c.listFiles({ path: '/' });
    expect(root.entries.map((e) => [e.path, e.isDirectory])).toEqual([['/docs', true]]);
    await c.rename({ from: '/docs', to: '/archive' });
    await expect(c.stat({ path: '/docs/report.bin' })).rejects.toMatchObject({ code: Code.NotFound });
    expect(Number((await c.stat({ path: '/archive/report.bin' })).file!.size)).toBe(data.length);

    const ids = placements.map((p) => p.chunkId);
    const onDisk = async () => (await Promise.all(nodes.map((n) => chunkIdsIn(n.dataDir)))).flat().filter((id) => ids.includes(id));
    expect((await onDisk()).length).toBe(9);
    await c.delete({ path: '/archive', recursive: true });
    await expect(c.stat({ path: '/archive/report.bin' })).rejects.toMatchObject({ code: Code.NotFound });
    expect(await eventually(async () => (await onDisk()).length === 0, 20_000)).toBe(true);
  });

  it('deletes the copies of a node that was down during the delete, once it is back', async () => {
    const data = randomBytes(2 * MiB);
    const { placements } = await uploadBytes(pool, addr(), '/while-down', data, { chunkSize: MiB });
    const ids = placements.map((p) => p.chunkId);
    const absent = nodes[1]!;
    const held = async () => (await chunkIdsIn(absent.dataDir)).filter((id) => ids.includes(id)).length;
    expect(await held()).toBe(2);
    await absent.stop();
    await coordinator(pool, addr()).delete({ path: '/while-down' });
    const others = async () => (await Promise.all([nodes[0]!, nodes[2]!].map((n) => chunkIdsIn(n.dataDir)))).flat().filter((id) => ids.includes(id)).length;
    expect(await eventually(async () => (await others()) === 0, 20_000)).toBe(true);
    expect(await held()).toBe(2); // it was down: its copies are still there
    await absent.start();
    expect(await eventually(async () => (await held()) === 0, 20_000)).toBe(true);
  });

  it('refuses bad paths and sizes with InvalidArgument', async () => {
    const c = coordinator(pool, addr());
    for (const path of ['relative', '/a/../b', '/a//b', '/trailing/', '/nul\0x', '/']) {
      await expect(c.createUpload({ path, size: 1n })).rejects.toMatchObject({ code: Code.InvalidArgument });
    }
    await expect(c.createUpload({ path: '/x', size: -1n })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(c.createUpload({ path: '/x', size: 1n, chunkSize: 100n })).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(c.createUpload({ path: '/x', size: 1n, replication: 4 })).rejects.toMatchObject({ code: Code.FailedPrecondition });
  });

  it('keeps every committed file and no uncommitted one across a coordinator SIGKILL', async () => {
    const committed = randomBytes(MiB);
    await uploadBytes(pool, addr(), '/keep/one', committed, { chunkSize: 512 * 1024 });
    const c = coordinator(pool, addr());
    await c.createUpload({ path: '/keep/never-committed', size: 10n });
    await coord.kill('SIGKILL');
    await coord.start();
    expect(await eventually(async () => (await coordinator(pool, addr()).listNodes({})).nodes.filter((n) => n.state === NodeState.HEALTHY).length === 3)).toBe(true);
    expect((await downloadBytes(pool, addr(), '/keep/one')).equals(committed)).toBe(true);
    await expect(coordinator(pool, addr()).stat({ path: '/keep/never-committed' })).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('marks a stopped datanode suspect, then dead, and places no chunk on it', async () => {
    const victim = nodes[2]!;
    await victim.stop();
    const c = coordinator(pool, addr());
    const stateOf = async () => (await c.listNodes({})).nodes.find((n) => n.nodeId === victim.ready!.nodeId)!.state;
    expect(await eventually(async () => (await stateOf()) === NodeState.SUSPECT, 5_000)).toBe(true);
    expect(await eventually(async () => (await stateOf()) === NodeState.DEAD, 10_000)).toBe(true);
    const up = await c.createUpload({ path: '/two-copies', size: BigInt(3 * MiB), chunkSize: BigInt(MiB), replication: 2 });
    for (const p of up.placements) expect(p.targets.map((t) => t.nodeId)).not.toContain(victim.ready!.nodeId);
    await expect(c.createUpload({ path: '/three-copies', size: 1n, replication: 3 })).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await victim.start();
    expect(await eventually(async () => (await stateOf()) === NodeState.HEALTHY)).toBe(true);
  });
});
