import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually, freePorts, pacedSource } from '@dfs/test-cluster';
import { createClientContext, type ClientContext } from './client-context.js';
import { createDfsClient } from './index.js';
import { allChunkIds, chunkIdsOf, chunksOf, corruptChunk, holdersOf } from './test/chunk-map.js';
import { KiB, collector, readAll, sha256 } from './test/sources.js';
import { useSdkCluster } from './test/use-sdk-cluster.js';
import { uploadFile } from './upload-file.js';

// Failures under the SDK: an aborted upload, a datanode killed mid-upload,
// datanodes down, stalled and corrupt during downloads, a dead coordinator.
// 4 datanodes and R=3, so a chunk always has other nodes to go to.
jest.setTimeout(180_000);

const CHUNK = 64 * KiB;
const sdk = useSdkCluster('faults', { datanodes: 4, replication: 3, clientOptions: { idleTimeoutMs: 3_000 }, scratch: true });

/** Brings every datanode back (after a test killed or paused one) and waits until all are healthy. */
async function heal(): Promise<void> {
  for (const d of sdk.cluster.datanodes) {
    if (d.process.running) await d.resume();
    else await d.restart();
  }
  await sdk.cluster.waitForHealthy();
}
afterEach(heal);

describe('an upload', () => {
  it('aborted while its commit is in flight completes: upload() resolves and the file is there', async () => {
    const controller = new AbortController();
    const data = randomBytes(3 * CHUNK);
    const coordinator = sdk.cluster.coordinator.process;
    // The upload's own client, to see its CommitUpload go out.
    let commitSent = false;
    const base = createClientContext({ coordinators: sdk.cluster.coordinator.address, idleTimeoutMs: 3_000 });
    const ctx: ClientContext = {
      ...base,
      coordinator: (call, signal, options) =>
        base.coordinator((client, callOptions) => call({ ...client, commitUpload: (req, o) => ((commitSent = true), client.commitUpload(req, o)) }, callOptions), signal, options),
    };
    let paused: Promise<void> | undefined;
    try {
      // Once the last chunk is stored the commit goes out next: the coordinator
      // is stopped (SIGSTOP sent at once) before it can answer.
      const upload = uploadFile(ctx, '/abort/at-commit', data, {
        chunkSize: CHUNK,
        signal: controller.signal,
        onProgress: (p) => void (p.chunks === 3 && (paused ??= coordinator.pause())),
      });
      try {
        // Aborted only once the commit is on its way (earlier, giving up would be right).
        expect(await eventually(async () => commitSent && paused !== undefined)).toBe(true);
        await paused;
        controller.abort();
      } finally {
        await coordinator.resume();
      }
      // An abort then would leave the commit's outcome unknown: the upload does
      // not give up (a rejection here fails the test) but completes.
      const info = await upload;
      expect(info).toMatchObject({ path: '/abort/at-commit', size: data.length, sha256: sha256(data) });
      expect(await sdk.dfs.stat('/abort/at-commit')).toMatchObject({ sha256: sha256(data) });
    } finally {
      await ctx.close();
    }
  });

  it('aborted mid-way rejects with Canceled, leaves no file, and its chunks are collected', async () => {
    const before = await allChunkIds(sdk.cluster);
    const controller = new AbortController();
    let stored = 0;
    // The chunks on the nodes just before the abort: the ones it must collect.
    // Taken then, not after the rejection, when the collection (1 s after the
    // abort) may already have removed them.
    let storedIds: string[] = [];
    const pieces = Array.from({ length: 20 }, () => randomBytes(CHUNK));
    const source = pacedSource(pieces, async (i) => {
      if (i !== 6) return;
      await eventually(async () => stored >= 3);
      storedIds = [...(await allChunkIds(sdk.cluster))].filter((id) => !before.has(id));
      controller.abort();
    });
    const upload = sdk.dfs.upload('/faults/aborted', source, { chunkSize: CHUNK, signal: controller.signal, onProgress: (p) => (stored = p.chunks) });
    await expect(upload).rejects.toMatchObject({ name: 'DfsError', code: 'Canceled' });
    await expect(sdk.dfs.stat('/faults/aborted')).rejects.toMatchObject({ code: 'NotFound' });
    expect(storedIds.length).toBeGreaterThanOrEqual(3);
    const gone = async () => {
      const now = await allChunkIds(sdk.cluster);
      return storedIds.every((id) => !now.has(id));
    };
    expect(await eventually(gone, 30_000)).toBe(true);
  });

  it('survives a datanode killed mid-way: chunks go to other nodes, each on 3 distinct nodes', async () => {
    const victim = sdk.cluster.datanodes[0]!;
    const pieces = Array.from({ length: 24 }, () => randomBytes(CHUNK));
    const data = Buffer.concat(pieces);
    let stored = 0;
    const source = pacedSource(pieces, async (i) => {
      if (i !== 8) return;
      await eventually(async () => stored >= 4);
      await victim.kill();
    });
    const info = await sdk.dfs.upload('/faults/killed', source, { chunkSize: CHUNK, concurrency: 4, onProgress: (p) => (stored = p.chunks) });
    expect(info.sha256).toBe(sha256(data));
    const ids = await chunkIdsOf(sdk.cluster, '/faults/killed');
    expect(ids).toHaveLength(24);
    for (const [index, id] of ids.entries()) {
      const holders = await holdersOf(sdk.cluster, id);
      expect(new Set(holders.map((h) => h.nodeId)).size).toBeGreaterThanOrEqual(3);
      // Chunks cut after the kill cannot be on the dead node: they were placed again elsewhere.
      if (index >= 8) expect(holders).not.toContain(victim);
    }
    expect((await readAll(sdk.dfs.createReadStream('/faults/killed'))).equals(data)).toBe(true);
  });
});

describe('a download', () => {
  it('is served from other replicas while a datanode dies mid-way', async () => {
    const data = randomBytes(12 * CHUNK + 7);
    await sdk.dfs.upload('/faults/read-kill', data, { chunkSize: CHUNK });
    const stream = sdk.dfs.createReadStream('/faults/read-kill');
    const parts: Buffer[] = [];
    let killed = false;
    for await (const piece of stream) {
      parts.push(piece as Buffer);
      if (!killed) {
        killed = true;
        await sdk.cluster.datanodes[1]!.kill();
        await sdk.cluster.datanodes[2]!.kill();
      }
    }
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    // And to a path, with two of the four nodes still down.
    const local = join(sdk.scratch, 'read-kill.bin');
    await sdk.dfs.download('/faults/read-kill', local, { concurrency: 4 });
    expect((await readFile(local)).equals(data)).toBe(true);
  });

  it('moves on from a stalled (SIGSTOPped) datanode after the idle timeout', async () => {
    const data = randomBytes(6 * CHUNK);
    await sdk.dfs.upload('/faults/read-stall', data, { chunkSize: CHUNK });
    // The node the client tries first for chunk 0 stops answering (its TCP connections stay open).
    const [first] = await chunksOf(sdk.cluster, '/faults/read-stall');
    await sdk.cluster.datanodes.find((d) => d.nodeId === first!.replicas[0]!.nodeId)!.pause();
    const { sink, bytes } = collector();
    await sdk.dfs.download('/faults/read-stall', sink);
    expect(bytes().equals(data)).toBe(true);
  });

  it('gets good bytes from another replica when copies of a chunk are corrupt on disk', async () => {
    const data = randomBytes(4 * CHUNK);
    await sdk.dfs.upload('/faults/corrupt', data, { chunkSize: CHUNK });
    const ids = await chunkIdsOf(sdk.cluster, '/faults/corrupt');
    // Two of the three copies of chunk 1 damaged: whichever the client tries first, it must go on.
    const holders = await holdersOf(sdk.cluster, ids[1]!);
    expect(holders).toHaveLength(3);
    await corruptChunk(holders[0]!, ids[1]!);
    await corruptChunk(holders[1]!, ids[1]!);
    const local = join(sdk.scratch, 'corrupt.bin');
    await sdk.dfs.download('/faults/corrupt', local);
    expect((await readFile(local)).equals(data)).toBe(true);
    expect((await readAll(sdk.dfs.createReadStream('/faults/corrupt', { start: CHUNK - 10, end: 2 * CHUNK + 10 }))).equals(data.subarray(CHUNK - 10, 2 * CHUNK + 11))).toBe(true);
  });

  it('fails with DataLoss when no replica has good bytes, and leaves no local file', async () => {
    const data = randomBytes(2 * CHUNK);
    await sdk.dfs.upload('/faults/lost', data, { chunkSize: CHUNK });
    const [, second] = await chunkIdsOf(sdk.cluster, '/faults/lost');
    for (const holder of await holdersOf(sdk.cluster, second!)) await corruptChunk(holder, second!);
    const local = join(sdk.scratch, 'lost.bin');
    await expect(sdk.dfs.download('/faults/lost', local)).rejects.toMatchObject({ name: 'DfsError', code: 'DataLoss', message: expect.stringMatching(/no replica has good bytes of chunk 1/) });
    expect((await readdir(sdk.scratch)).filter((n) => n.startsWith('lost.bin'))).toEqual([]);
    await expect(readAll(sdk.dfs.createReadStream('/faults/lost'))).rejects.toMatchObject({ code: 'DataLoss' });
  });
});

describe('coordinator failover', () => {
  it('works with a dead coordinator listed first', async () => {
    const [deadPort] = await freePorts(1);
    const client = createDfsClient({ coordinators: [`127.0.0.1:${deadPort}`, sdk.cluster.coordinator.address] });
    try {
      const data = randomBytes(3 * CHUNK + 1);
      for (let i = 0; i < 3; i++) {
        await client.upload(`/faults/failover-${i}`, data, { chunkSize: CHUNK });
        expect((await client.stat(`/faults/failover-${i}`)).size).toBe(data.length);
        expect((await readAll(client.createReadStream(`/faults/failover-${i}`))).equals(data)).toBe(true);
      }
      expect((await client.nodes()).length).toBe(4);
    } finally {
      await client.close();
    }
  });
});
