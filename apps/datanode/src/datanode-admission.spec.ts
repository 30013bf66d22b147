import { rm } from 'node:fs/promises';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { newChunkId } from '@dfs/proto';
import { startDatanodeProcess, stopAllProcesses, type DatanodeProcess } from '@dfs/test-cluster';
import { MiB, framesOf, random, readFrom, writeTo } from './test/chunk-client.js';

// A node runs a bounded number of writes at once; the rest wait unread but
// alive (keepalive acks), so their clients' idle timeouts do not fire.
jest.setTimeout(60_000);

let node: DatanodeProcess;
let pool: ClientPool;

beforeAll(async () => {
  node = await startDatanodeProcess({ name: 'dn-admission', env: { DATANODE_MAX_ACTIVE_WRITES: '1' } });
  pool = createClientPool({ policy: noRetry });
});

afterAll(async () => {
  await pool?.close();
  await stopAllProcesses();
  if (node) await rm(node.dataDir, { recursive: true, force: true });
});

it('queues writes beyond the limit and completes them all, without idle timeouts', async () => {
  const datas = [random(4 * MiB), random(4 * MiB), random(4 * MiB)];
  const ids = datas.map(() => newChunkId());
  // Per write, the keepalive acks (0 bytes) it was sent before its first bytes
  // were acknowledged: a write waiting for a slot is sent only those.
  const keepalives = datas.map(() => 0);
  const running = datas.map(() => false);
  // Each write takes at least 1.2 s (a slow source); with one slot, the last
  // to get it waits at least 2.4 s, longer than its 1.5 s idle timeout, which
  // only the node's keepalive acks can satisfy.
  const results = await Promise.all(
    datas.map((data, i) =>
      writeTo(pool, node, [], framesOf(data, () => new Promise((r) => setTimeout(r, 400))), {
        chunkId: ids[i],
        idleTimeoutMs: 1_500,
        onProgress: (n) => {
          if (n > 0) running[i] = true;
          else if (!running[i]) keepalives[i]++;
        },
      }),
    ),
  );
  // Some write was queued (and kept alive), not all run at once.
  expect(keepalives.some((n) => n > 0)).toBe(true);
  expect(results.every((r) => r.result.replicas[0]!.durable)).toBe(true);
  for (const [i, id] of ids.entries()) expect((await readFrom(pool, node, id)).equals(datas[i]!)).toBe(true);
});

it('a primary waits for a replica queued for a write slot (it sends keepalives) instead of dropping it', async () => {
  const primary = await startDatanodeProcess({ name: 'dn-admission-primary', env: { DATANODE_REPLICA_IDLE_TIMEOUT: '2000' } });
  try {
    // Holds the replica's only write slot for 3 s or more after its first bytes
    // are acknowledged (two more 1.5 s pauses at least), past the primary's 2 s
    // replica idle timeout.
    let holding!: () => void;
    const holds = new Promise<void>((resolve) => (holding = resolve));
    const holder = writeTo(pool, node, [], framesOf(random(4 * MiB), () => new Promise((r) => setTimeout(r, 1_500))), {
      onProgress: (n) => void (n > 0 && holding()),
    });
    // Bytes acknowledged: the holder has the slot, so the replica write below
    // must queue for it (and not take it first, leaving keepalives untested).
    // (A holder that fails first fails the test here.)
    await Promise.race([holds, holder]);
    const data = random(2 * MiB);
    // The client's own idle timeout is shorter still: the primary passes the replica's keepalives on.
    let keepalives = 0;
    let acked = false;
    const { result } = await writeTo(pool, primary, [node], framesOf(data), {
      idleTimeoutMs: 2_500,
      onProgress: (n) => {
        if (n > 0) acked = true;
        else if (!acked) keepalives++;
      },
    });
    expect(keepalives).toBeGreaterThan(0);
    expect(result.replicas.map((r) => r.durable)).toEqual([true, true]);
    expect((await readFrom(pool, node, result.chunkId)).equals(data)).toBe(true);
    expect((await holder).result.replicas[0]!.durable).toBe(true);
  } finally {
    await primary.stop();
    await rm(primary.dataDir, { recursive: true, force: true });
  }
});
