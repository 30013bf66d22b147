import { randomBytes } from 'node:crypto';
import { eventually, type ClusterDatanode } from '@dfs/test-cluster';
import type { DfsClient, NodeStateName } from './index.js';
import { chunkIdsOf, chunksOf } from './test/chunk-map.js';
import { KiB, readAll } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// Self-healing as a client sees it: the healing counts of status(), fsck,
// and drainNode, on real clusters (a datanode is dead 10 s after its last
// heartbeat with startCluster's timings).
jest.setTimeout(180_000);

const CHUNK = 64 * KiB;
const FILES = ['/data/a.bin', '/data/b.bin', '/data/sub/c.bin'];
/** Chunks of each file in FILES. */
const CHUNKS_PER_FILE = 4;

async function uploadFiles(dfs: DfsClient): Promise<Map<string, Buffer>> {
  const contents = new Map<string, Buffer>();
  for (const path of FILES) {
    const data = randomBytes((CHUNKS_PER_FILE - 1) * CHUNK + 100);
    await dfs.upload(path, data, { chunkSize: CHUNK });
    contents.set(path, data);
  }
  return contents;
}

/** Polls until `check` holds: node states and healing change within seconds here, never at once. */
function until(check: () => Promise<boolean>): Promise<boolean> {
  return eventually(check, 60_000, 200);
}

async function stateOf(dfs: DfsClient, node: ClusterDatanode): Promise<NodeStateName | undefined> {
  return (await dfs.nodes()).find((n) => n.nodeId === node.nodeId)?.state;
}

describe('a healthy cluster of 4 datanodes (R=3), and draining one', () => {
  const sdk = useSdkCluster('healing-drain', { datanodes: 4, replication: 3 });
  let contents: Map<string, Buffer>;

  beforeAll(async () => {
    contents = await uploadFiles(sdk.dfs);
  });

  it('status: the view turns complete once every node has reported, and every healing count is 0', async () => {
    expect(await until(async () => (await sdk.dfs.status()).viewComplete)).toBe(true);
    expect(await sdk.dfs.status()).toEqual({
      nodesHealthy: 4,
      nodesSuspect: 0,
      nodesDead: 0,
      nodesDraining: 0,
      nodesDrained: 0,
      capacityBytes: expect.any(Number),
      usedBytes: expect.any(Number),
      files: FILES.length,
      chunks: FILES.length * CHUNKS_PER_FILE,
      underReplicatedChunks: 0,
      oneCopyChunks: 0,
      missingChunks: 0,
      corruptChunks: 0,
      queuedCopies: 0,
      copiesInFlight: 0,
      uncheckedChunks: 0,
      viewComplete: true,
    });
  });

  it('fsck: every file healthy, from the root (the default), a directory or one file', async () => {
    expect(await sdk.dfs.fsck()).toEqual({ filesHealthy: 3, filesUnderReplicated: 0, filesMissing: 0, filesCorrupt: 0, problems: [] });
    expect(await sdk.dfs.fsck('/data/sub')).toEqual({ filesHealthy: 1, filesUnderReplicated: 0, filesMissing: 0, filesCorrupt: 0, problems: [] });
    expect((await sdk.dfs.fsck('/data/a.bin')).filesHealthy).toBe(1);
    expect((await sdk.dfs.fsck('//data/')).filesHealthy).toBe(3);
  });

  it('fsck: NotFound for a path with nothing at it, InvalidArgument for a bad path', async () => {
    await expect(sdk.dfs.fsck('/no/such/dir')).rejects.toMatchObject({ name: 'DfsError', code: 'NotFound', message: '/no/such/dir does not exist' });
    await expect(sdk.dfs.fsck('/da')).rejects.toMatchObject({ code: 'NotFound' });
    await expect(sdk.dfs.fsck('relative')).rejects.toMatchObject({ code: 'InvalidArgument', reason: 'BAD_PATH' });
  });

  it('drainNode: InvalidArgument for an empty id, NotFound for an unknown one', async () => {
    await expect(sdk.dfs.drainNode('')).rejects.toMatchObject({ name: 'DfsError', code: 'InvalidArgument', message: expect.stringMatching(/nodeId/) });
    await expect(sdk.dfs.drainNode('no-such-node')).rejects.toMatchObject({ code: 'NotFound', message: expect.stringMatching(/no-such-node/) });
  });

  it('undrainNode: a drained node is healthy again, and the copies made while it drained are trimmed back to 3', async () => {
    await expect(sdk.dfs.undrainNode('')).rejects.toMatchObject({ code: 'InvalidArgument' });
    await expect(sdk.dfs.undrainNode('no-such-node')).rejects.toMatchObject({ code: 'NotFound', message: expect.stringMatching(/no-such-node/) });
    const node = sdk.cluster.datanodes[0]!;
    // A node that is not draining: nothing changes.
    expect(await sdk.dfs.undrainNode(node.nodeId)).toMatchObject({ nodeId: node.nodeId, state: 'healthy' });
    await sdk.dfs.drainNode(node.nodeId);
    expect(await until(async () => (await stateOf(sdk.dfs, node)) === 'drained')).toBe(true);
    expect(await sdk.dfs.undrainNode(node.nodeId)).toMatchObject({ nodeId: node.nodeId, state: 'healthy' });
    // Its copies count again: every chunk had 3 elsewhere plus its own, and is trimmed to 3.
    const threeEach = async () => {
      for (const path of FILES) for (const chunk of await chunksOf(sdk.cluster, path)) if (chunk.replicas.length !== 3) return false;
      return true;
    };
    expect(await until(threeEach)).toBe(true);
    expect(await sdk.dfs.status()).toMatchObject({ nodesHealthy: 4, nodesDraining: 0, nodesDrained: 0, underReplicatedChunks: 0, missingChunks: 0 });
    for (const [path, data] of contents) expect((await readAll(sdk.dfs.createReadStream(path))).equals(data)).toBe(true);
  });

  it('drainNode: the node serves reads, turns drained with every chunk at 3 copies elsewhere, and stopping it leaves nothing under-replicated', async () => {
    // The node holding the most chunk copies.
    const copies = new Map<string, number>();
    for (const path of FILES) for (const chunk of await chunksOf(sdk.cluster, path)) for (const r of chunk.replicas) copies.set(r.nodeId, (copies.get(r.nodeId) ?? 0) + 1);
    const victim = sdk.cluster.datanodes.reduce((a, b) => ((copies.get(b.nodeId) ?? 0) > (copies.get(a.nodeId) ?? 0) ? b : a));
    expect(copies.get(victim.nodeId)).toBeGreaterThan(0);

    const info = await sdk.dfs.drainNode(victim.nodeId);
    expect(info).toMatchObject({ nodeId: victim.nodeId, address: victim.address, state: 'draining' });
    const during = await sdk.dfs.status();
    expect(during.nodesDraining + during.nodesDrained).toBe(1);
    for (const [path, data] of contents) expect((await readAll(sdk.dfs.createReadStream(path))).equals(data)).toBe(true);

    expect(await until(async () => (await stateOf(sdk.dfs, victim)) === 'drained')).toBe(true);
    expect(await sdk.dfs.status()).toMatchObject({ nodesHealthy: 3, nodesDraining: 0, nodesDrained: 1, underReplicatedChunks: 0, missingChunks: 0 });
    for (const path of FILES) {
      for (const chunk of await chunksOf(sdk.cluster, path)) {
        const elsewhere = new Set(chunk.replicas.map((r) => r.nodeId).filter((id) => id !== victim.nodeId));
        expect({ chunk: chunk.chunkId, copiesElsewhere: elsewhere.size }).toEqual({ chunk: chunk.chunkId, copiesElsewhere: 3 });
      }
    }

    await victim.kill('SIGTERM');
    expect(await until(async () => (await stateOf(sdk.dfs, victim)) === 'dead')).toBe(true);
    expect(await sdk.dfs.status()).toMatchObject({ nodesDead: 1, nodesDrained: 0, underReplicatedChunks: 0, oneCopyChunks: 0, missingChunks: 0 });
    expect(await sdk.dfs.fsck()).toMatchObject({ filesHealthy: 3, problems: [] });
    for (const [path, data] of contents) expect((await readAll(sdk.dfs.createReadStream(path))).equals(data)).toBe(true);
  });
});

describe('3 datanodes with R=3 (no spare node to copy to), datanodes killed', () => {
  // One copy at a time per node; with R=3 on 3 nodes there is no target anyway, so what is lost stays lost.
  const sdk = useSdkCluster('healing-kill', { datanodes: 3, replication: 3, coordinatorEnv: { DFS_MAX_COPIES_PER_NODE: '1' } });
  const ONE_COPY = '/single/r1.bin';

  beforeAll(async () => {
    await uploadFiles(sdk.dfs);
    await sdk.dfs.upload(ONE_COPY, randomBytes(100), { replication: 1 });
    expect(await until(async () => (await sdk.dfs.status()).viewComplete)).toBe(true);
  });

  /** The datanode holding the one copy of ONE_COPY. */
  async function holderOfOneCopy(): Promise<ClusterDatanode> {
    const [chunk] = await chunksOf(sdk.cluster, ONE_COPY);
    expect(chunk!.replicas).toHaveLength(1);
    return sdk.cluster.datanodes.find((d) => d.nodeId === chunk!.replicas[0]!.nodeId)!;
  }

  async function underReplicated(path: string): Promise<{ path: string; health: string; unhealthyChunkIds: string[] }> {
    return { path, health: 'under-replicated', unhealthyChunkIds: await chunkIdsOf(sdk.cluster, path) };
  }

  it('one node dead: fsck finds every R=3 file under-replicated, status counts their chunks, none missing', async () => {
    const holder = await holderOfOneCopy();
    const victim = sdk.cluster.datanodes.find((d) => d !== holder)!;
    await victim.kill();
    expect(await until(async () => (await stateOf(sdk.dfs, victim)) === 'dead')).toBe(true);

    const chunks = FILES.length * CHUNKS_PER_FILE;
    expect(await sdk.dfs.fsck()).toEqual({
      filesHealthy: 1,
      filesUnderReplicated: 3,
      filesMissing: 0,
      filesCorrupt: 0,
      problems: await Promise.all(FILES.map(underReplicated)),
    });
    expect(await sdk.dfs.fsck(ONE_COPY)).toMatchObject({ filesHealthy: 1, problems: [] });
    expect(await until(async () => (await sdk.dfs.status()).underReplicatedChunks === chunks)).toBe(true);
    expect(await sdk.dfs.status()).toMatchObject({
      nodesHealthy: 2,
      nodesDead: 1,
      underReplicatedChunks: chunks,
      oneCopyChunks: 0,
      missingChunks: 0,
      corruptChunks: 0,
      queuedCopies: chunks,
      copiesInFlight: 0,
      uncheckedChunks: 0,
      viewComplete: true,
    });
  });

  it('the node holding the only copy of an R=1 file dead too: that file is missing, the others down to one copy', async () => {
    const holder = await holderOfOneCopy();
    await holder.kill();
    expect(await until(async () => (await stateOf(sdk.dfs, holder)) === 'dead')).toBe(true);

    const report = await sdk.dfs.fsck();
    expect(report).toMatchObject({ filesHealthy: 0, filesUnderReplicated: 3, filesMissing: 1, filesCorrupt: 0 });
    expect(report.problems).toEqual([...(await Promise.all(FILES.map(underReplicated))), { path: ONE_COPY, health: 'missing', unhealthyChunkIds: await chunkIdsOf(sdk.cluster, ONE_COPY) }]);
    expect(await sdk.dfs.fsck('/single')).toEqual({
      filesHealthy: 0,
      filesUnderReplicated: 0,
      filesMissing: 1,
      filesCorrupt: 0,
      problems: [{ path: ONE_COPY, health: 'missing', unhealthyChunkIds: await chunkIdsOf(sdk.cluster, ONE_COPY) }],
    });

    const chunks = FILES.length * CHUNKS_PER_FILE;
    expect(await until(async () => ((s) => s.missingChunks === 1 && s.oneCopyChunks === chunks)(await sdk.dfs.status()))).toBe(true);
    expect(await sdk.dfs.status()).toMatchObject({ nodesHealthy: 1, nodesDead: 2, underReplicatedChunks: chunks, oneCopyChunks: chunks, missingChunks: 1, viewComplete: true });
  });
});
