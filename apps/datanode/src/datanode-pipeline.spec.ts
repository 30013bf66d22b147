import { rm } from 'node:fs/promises';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { Code, chunkSha256, newChunkId } from '@dfs/proto';
import { eventually, startDatanodeProcess, stopAllProcesses, type DatanodeProcess } from '@dfs/test-cluster';
import { MiB, chunkTraces, framesOf, random, readFrom, writeTo } from './test/chunk-client.js';

// Three real datanode processes on loopback; every byte goes over HTTP/2.
jest.setTimeout(60_000);

let nodes: DatanodeProcess[];
let pool: ClientPool;

beforeAll(async () => {
  nodes = await Promise.all([1, 2, 3].map((i) => startDatanodeProcess({ name: `dn${i}` })));
  pool = createClientPool({ policy: noRetry });
});

afterAll(async () => {
  await pool?.close();
  await stopAllProcesses();
  await Promise.all((nodes ?? []).map((n) => rm(n.dataDir, { recursive: true, force: true })));
});

// A test that kills a node brings it back for the next one.
afterEach(async () => {
  for (const n of nodes) if (!n.running) await n.start();
});

describe('pipelined WriteChunk with R=3', () => {
  it('stores a 20 MiB chunk on all three nodes, byte-identical on each', async () => {
    const data = random(20 * MiB);
    const chunkId = newChunkId();
    const { result } = await writeTo(pool, nodes[0]!, [nodes[1]!, nodes[2]!], framesOf(data), { chunkId, size: data.length, sha256: chunkSha256(data) });
    expect(result.replicas.map((r) => [r.replica?.address, r.durable])).toEqual(nodes.map((n) => [n.ready!.address, true]));
    expect(Buffer.from(result.sha256)).toEqual(Buffer.from(chunkSha256(data)));
    for (const node of nodes) {
      const got = await readFrom(pool, node, chunkId);
      expect(got.length).toBe(data.length);
      expect(got.equals(data)).toBe(true);
    }
  });

  it('serves range reads from every replica', async () => {
    const data = random(3 * MiB + 777);
    const chunkId = newChunkId();
    await writeTo(pool, nodes[1]!, [nodes[0]!, nodes[2]!], framesOf(data), { chunkId });
    const ranges = [
      [0, 1],
      [65_535, 2],
      [1_000_000, 1_500_000],
      [3 * MiB, 777],
      [2 * MiB + 5, 0],
    ] as const;
    for (const node of nodes) {
      for (const [offset, length] of ranges) {
        const got = await readFrom(pool, node, chunkId, { offset, length, chunkSize: data.length });
        expect(got.equals(data.subarray(offset, length ? offset + length : undefined))).toBe(true);
      }
    }
  });

  it('finishes on the surviving replicas when one is killed mid-stream, and names them', async () => {
    const data = random(16 * MiB);
    const chunkId = newChunkId();
    const victim = nodes[2]!;
    const { result } = await writeTo(
      pool,
      nodes[0]!,
      [nodes[1]!, victim],
      framesOf(data, async (sent) => {
        if (sent === 6 * MiB) await victim.kill('SIGKILL');
      }),
      { chunkId, size: data.length },
    );
    const byAddress = Object.fromEntries(result.replicas.map((r) => [r.replica!.address, r]));
    expect(byAddress[nodes[0]!.ready!.address]!.durable).toBe(true);
    expect(byAddress[nodes[1]!.ready!.address]!.durable).toBe(true);
    expect(byAddress[victim.ready!.address]!.durable).toBe(false);
    // Mapped in the primary (plain Node, not jest): a reset peer is retryable.
    expect(byAddress[victim.ready!.address]!.errorCode).toBe('unavailable');
    expect((await readFrom(pool, nodes[0]!, chunkId)).equals(data)).toBe(true);
    expect((await readFrom(pool, nodes[1]!, chunkId)).equals(data)).toBe(true);
    // The killed node comes back with no half-written chunk.
    await victim.start();
    expect(await chunkTraces(victim, chunkId)).toEqual([]);
    await expect(readFrom(pool, victim, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('fails the write when fewer than min_replicas copies survive', async () => {
    const data = random(8 * MiB);
    const victim = nodes[2]!;
    const chunkId = newChunkId();
    await expect(
      writeTo(
        pool,
        nodes[0]!,
        [victim],
        framesOf(data, async (sent) => {
          if (sent === 2 * MiB) await victim.kill('SIGKILL');
        }),
        { chunkId, minReplicas: 2 },
      ),
    ).rejects.toMatchObject({ code: Code.Unavailable, reason: 'NOT_ENOUGH_REPLICAS' });
    await expect(readFrom(pool, nodes[0]!, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('stores nothing on any node when the sha256 is wrong, and says why', async () => {
    const data = random(5 * MiB);
    const chunkId = newChunkId();
    await expect(
      writeTo(pool, nodes[0]!, [nodes[1]!, nodes[2]!], framesOf(data), { chunkId, size: data.length, sha256: chunkSha256(random(10)) }),
    ).rejects.toMatchObject({ code: Code.DataLoss, reason: 'CHECKSUM_MISMATCH' });
    for (const node of nodes) {
      await expect(readFrom(pool, node, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
      expect(await eventually(async () => (await chunkTraces(node, chunkId)).length === 0)).toBe(true);
    }
  });

  it('has every replica verify the client checksum when it comes only in the trailer', async () => {
    const data = random(3 * MiB);
    const chunkId = newChunkId();
    await expect(
      writeTo(pool, nodes[0]!, [nodes[1]!, nodes[2]!], framesOf(data), { chunkId, trailerSha256: () => chunkSha256(random(10)) }),
    ).rejects.toMatchObject({ code: Code.DataLoss, reason: 'CHECKSUM_MISMATCH' });
    for (const node of nodes) {
      expect(await eventually(async () => (await chunkTraces(node, chunkId)).length === 0)).toBe(true);
      await expect(readFrom(pool, node, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
    }
  });

  it('stores nothing when the client aborts mid-stream', async () => {
    const data = random(12 * MiB);
    const chunkId = newChunkId();
    const ac = new AbortController();
    await expect(
      writeTo(
        pool,
        nodes[0]!,
        [nodes[1]!, nodes[2]!],
        framesOf(data, (sent) => {
          if (sent === 5 * MiB) ac.abort();
        }),
        { chunkId, signal: ac.signal },
      ),
    ).rejects.toMatchObject({ code: Code.Canceled });
    for (const node of nodes) {
      expect(await eventually(async () => (await chunkTraces(node, chunkId)).length === 0)).toBe(true);
      await expect(readFrom(pool, node, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
    }
  });

  it('refuses a pipeline that names the primary itself or a node twice', async () => {
    const data = random(1000);
    await expect(writeTo(pool, nodes[0]!, [nodes[0]!], framesOf(data))).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(writeTo(pool, nodes[0]!, [nodes[1]!, nodes[1]!], framesOf(data))).rejects.toMatchObject({ code: Code.InvalidArgument });
  });
});

describe('crash recovery', () => {
  it('a node SIGKILLed mid-write restarts serving its durable chunks with no temp files left', async () => {
    const node = nodes[1]!;
    const durable = random(3 * MiB);
    const durableId = newChunkId();
    await writeTo(pool, node, [], framesOf(durable), { chunkId: durableId });
    const halfId = newChunkId();
    let killed: Promise<unknown> = Promise.resolve();
    const write = writeTo(
      pool,
      node,
      [],
      framesOf(random(10 * MiB), async (sent) => {
        if (sent === 4 * MiB) await (killed = node.kill('SIGKILL'));
      }),
      { chunkId: halfId },
    );
    await expect(write).rejects.toMatchObject({ code: Code.Unavailable });
    // The write fails as soon as the connection drops, which can be before
    // this process has seen the node exit: wait for that before restarting it.
    await killed;
    expect((await chunkTraces(node)).length).toBeGreaterThan(0); // the crash left a temp file behind
    await node.start();
    expect(await chunkTraces(node, halfId)).toEqual([]);
    expect((await readFrom(pool, node, durableId)).equals(durable)).toBe(true);
  });
});
