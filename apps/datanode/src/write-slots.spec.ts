import { rm } from 'node:fs/promises';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { chunkSha256 } from '@dfs/proto';
import { startDatanodeProcess, stopAllProcesses, type DatanodeProcess } from '@dfs/test-cluster';
import { MiB, framesOf, random, readFrom, writeTo } from './test/chunk-client.js';
import { SMALL_WRITE_BYTES, WriteSlots } from './write-slots.js';

describe('WriteSlots.poolFor', () => {
  const slots = new WriteSlots({ maxActive: 3, maxActiveSmall: 32 });
  const replica = [{}];

  it('gives writes of at most SMALL_WRITE_BYTES the small pool of their role, and every other write the large one', () => {
    expect(slots.poolFor({ pipeline: [], size: 1 }).capacity).toBe(32);
    expect(slots.poolFor({ pipeline: [], size: SMALL_WRITE_BYTES }).capacity).toBe(32);
    expect(slots.poolFor({ pipeline: [], size: SMALL_WRITE_BYTES + 1 }).capacity).toBe(3);
    // Unknown size: it may grow to 64 MiB.
    expect(slots.poolFor({ pipeline: [], size: undefined }).capacity).toBe(3);
    expect(slots.poolFor({ pipeline: replica, size: 1 })).not.toBe(slots.poolFor({ pipeline: [], size: 1 }));
    expect(slots.poolFor({ pipeline: replica, size: undefined })).not.toBe(slots.poolFor({ pipeline: [], size: undefined }));
    expect(slots.poolFor({ pipeline: replica, size: 10 })).toBe(slots.poolFor({ pipeline: replica, size: 20 }));
  });
});

// A real node with one slot of each kind per role. Which writes run is
// observed through the protocol: a running write acknowledges its bytes, a
// waiting one only sends keepalive acks of 0 bytes (after about a second).
describe('a datanode running small and large writes', () => {
  jest.setTimeout(60_000);
  let node: DatanodeProcess;
  let pool: ClientPool;

  beforeAll(async () => {
    node = await startDatanodeProcess({ name: 'dn-write-slots', env: { DATANODE_MAX_ACTIVE_WRITES: '1', DATANODE_MAX_ACTIVE_SMALL_WRITES: '1' } });
    pool = createClientPool({ policy: noRetry });
  });

  afterAll(async () => {
    await pool?.close();
    await stopAllProcesses();
    if (node) await rm(node.dataDir, { recursive: true, force: true });
  });

  /** A gate the test opens, and a promise of the first progress ack matching `test`. */
  function gate() {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return { open, opened };
  }
  function firstAck(test: (bytes: number) => boolean) {
    let seen!: (bytes: number) => void;
    const promise = new Promise<number>((resolve) => (seen = resolve));
    return { promise, onProgress: (bytes: number) => void (test(bytes) && seen(bytes)) };
  }
  const options = (data: Buffer, onProgress?: (n: number) => void) => ({ size: data.length, sha256: chunkSha256(data), idleTimeoutMs: 30_000, onProgress });

  it('runs a small write while the only large slot is taken', async () => {
    const large = random(4 * MiB);
    const stall = gate();
    const running = firstAck((n) => n > 0);
    // Stops after 2 MiB, holding the large slot, until the test opens the gate.
    const first = writeTo(pool, node, [], framesOf(large, (sent) => (sent === 2 * MiB ? stall.opened : undefined)), options(large, running.onProgress));
    await running.promise;
    const waiting = firstAck((n) => n === 0);
    const secondLarge = random(2 * MiB);
    const second = writeTo(pool, node, [], framesOf(secondLarge), options(secondLarge, waiting.onProgress));
    await waiting.promise;

    const small = random(64 * 1024);
    const smallWrite = await writeTo(pool, node, [], framesOf(small), options(small));
    expect(smallWrite.result.replicas[0]!.durable).toBe(true);

    stall.open();
    const [firstLarge, nextLarge] = await Promise.all([first, second]);
    const written: [Buffer, string][] = [
      [small, smallWrite.result.chunkId],
      [large, firstLarge.result.chunkId],
      [secondLarge, nextLarge.result.chunkId],
    ];
    for (const [data, chunkId] of written) expect((await readFrom(pool, node, chunkId)).equals(data)).toBe(true);
  });

  it('queues small writes past their own limit until one ends', async () => {
    const a = random(64 * 1024);
    const b = random(64 * 1024);
    const stall = gate();
    const running = firstAck((n) => n === a.length);
    // Sends all of a, then holds its trailer (and so the small slot) until the gate opens.
    const first = writeTo(
      pool,
      node,
      [],
      (async function* () {
        yield a;
        await stall.opened;
      })(),
      options(a, running.onProgress),
    );
    await running.promise;
    const waiting = firstAck((n) => n === 0);
    const second = writeTo(pool, node, [], framesOf(b), options(b, waiting.onProgress));
    await waiting.promise;
    stall.open();
    const [ra, rb] = await Promise.all([first, second]);
    expect((await readFrom(pool, node, ra.result.chunkId)).equals(a)).toBe(true);
    expect((await readFrom(pool, node, rb.result.chunkId)).equals(b)).toBe(true);
  });
});
