import { randomBytes } from 'node:crypto';
import { eventually } from '@dfs/test-cluster';
import { createDfsClient, type DfsClient } from './index.js';
import { allChunkIds, chunkIdsOf, chunksOf, removeChunk } from './test/chunk-map.js';
import { KiB } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';

// A long read whose chunk locations go stale: the file is replaced or deleted
// meanwhile and its chunks collected (startCluster's GC delay is 1 s), or a
// chunk moves to another node. Neither is damage: the first fails with
// FailedPrecondition, the second reads on from where the chunk is now.
jest.setTimeout(180_000);

const CHUNK = 64 * KiB;
/**
 * 64 chunks, 4 MiB: a stream paused after its first piece has listed every
 * chunk's locations (one GetFile page) but buffered only about 1 MiB and the
 * chunks it fetches ahead, so most chunks are read after the change.
 */
const SIZE = 64 * CHUNK;

const sdk = useSdkCluster('read-while-changed', { datanodes: 3, replication: 2 });
/** The other client, that changes the file while `sdk.dfs` reads it. */
let writer: DfsClient;

beforeAll(() => {
  writer = createDfsClient({ coordinators: sdk.cluster.coordinator.address });
});
afterAll(() => writer?.close());

/** Reads `path` as a stream, running `meanwhile` once the first piece is in; the bytes read and what the stream failed with. */
async function readAcross(path: string, meanwhile: () => Promise<void>): Promise<{ bytes: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  let ran = false;
  try {
    for await (const piece of sdk.dfs.createReadStream(path)) {
      parts.push(piece as Buffer);
      if (!ran) {
        ran = true;
        await meanwhile();
      }
    }
    return { bytes: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error };
  }
}

/** Resolves once no datanode holds any of `chunkIds` on disk. */
async function collected(chunkIds: string[]): Promise<void> {
  const gone = await eventually(async () => {
    const held = await allChunkIds(sdk.cluster);
    return chunkIds.every((id) => !held.has(id));
  }, 30_000);
  expect(gone).toBe(true);
}

describe.each([
  ['overwritten', (path: string) => writer.upload(path, randomBytes(SIZE), { chunkSize: CHUNK, overwrite: true })],
  ['deleted', (path: string) => writer.delete(path)],
])('a file %s while it is being read', (label, change) => {
  it('fails the read with FailedPrecondition once its chunks are collected, not with DataLoss', async () => {
    const path = `/changed/${label}`;
    const data = randomBytes(SIZE);
    await sdk.dfs.upload(path, data, { chunkSize: CHUNK });
    const old = await chunkIdsOf(sdk.cluster, path);

    const { bytes, error } = await readAcross(path, async () => {
      await change(path);
      await collected(old);
    });
    expect(error).toMatchObject({ name: 'DfsError', code: 'FailedPrecondition', reason: 'VERSION_GONE', message: `${path} was replaced, moved or deleted while it was being read; read it again` });
    // The bytes before the failure were the old version's, and the failure came before its end.
    expect(bytes.length).toBeLessThan(SIZE / 2);
    expect(bytes.equals(data.subarray(0, bytes.length))).toBe(true);
  });
});

describe('a chunk moved while its file is being read', () => {
  it('is read from where the coordinator says it is now', async () => {
    const path = '/changed/moved';
    const data = randomBytes(SIZE);
    // One copy per chunk: once it is gone from the node listed, only the coordinator knows where to look.
    await sdk.dfs.upload(path, data, { chunkSize: CHUNK, replication: 1 });
    const listed = await chunksOf(sdk.cluster, path);
    const last = listed[listed.length - 1]!;
    const victim = sdk.cluster.datanodes.find((d) => d.nodeId === last.replicas[0]!.nodeId)!;
    const movedAway = listed.filter((c) => c.replicas[0]!.nodeId === victim.nodeId).map((c) => c.chunkId);

    const { bytes, error } = await readAcross(path, async () => {
      // Draining copies the node's chunks elsewhere; then the old copies are deleted from it.
      await sdk.dfs.drainNode(victim.nodeId);
      const drained = await eventually(async () => (await sdk.dfs.nodes()).find((n) => n.nodeId === victim.nodeId)?.state === 'drained', 60_000, 200);
      expect(drained).toBe(true);
      for (const chunkId of movedAway) await removeChunk(victim, chunkId);
    });
    expect(error).toBeUndefined();
    expect(bytes.equals(data)).toBe(true);
    // The stream listed the victim for these chunks before they moved.
    expect(movedAway).toContain(last.chunkId);
  });
});
