import { rm } from 'node:fs/promises';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { Code, newChunkId } from '@dfs/proto';
import { eventually, startDatanodeProcess, stopAllProcesses, type DatanodeProcess } from '@dfs/test-cluster';
import { MiB, chunkTraces, framesOf, random, readFrom, writeTo } from './test/chunk-client.js';

// SIGTERM: running writes get a grace period, then are canceled cleanly.
jest.setTimeout(60_000);

let pool: ClientPool;
const dirs: string[] = [];

beforeAll(() => {
  pool = createClientPool({ policy: noRetry });
});

afterAll(async () => {
  await pool?.close();
  await stopAllProcesses();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function node(graceMs: number): Promise<DatanodeProcess> {
  const n = await startDatanodeProcess({ name: 'dn-shutdown', env: { DATANODE_SHUTDOWN_GRACE: `${graceMs}ms` } });
  dirs.push(n.dataDir);
  return n;
}

describe('graceful shutdown', () => {
  it('lets an in-flight write finish within the grace period, then exits 0', async () => {
    const n = await node(10_000);
    const data = random(6 * MiB);
    const chunkId = newChunkId();
    let exit: ReturnType<DatanodeProcess['stop']> | undefined;
    const write = writeTo(
      pool,
      n,
      [],
      framesOf(data, async (sent) => {
        if (sent === MiB) exit = n.stop();
        await new Promise((r) => setTimeout(r, 30));
      }),
      { chunkId },
    );
    const { result } = await write;
    expect(result.replicas[0]!.durable).toBe(true);
    expect(await exit).toEqual({ code: 0, signal: null });
    await n.start();
    expect((await readFrom(pool, n, chunkId)).equals(data)).toBe(true);
    await n.stop();
  });

  it('cancels a stalled write after the grace period, leaves no temp file, and exits 0', async () => {
    const n = await node(300);
    const chunkId = newChunkId();
    let stalled!: () => void;
    const stall = new Promise<void>((r) => (stalled = r));
    const write = writeTo(
      pool,
      n,
      [],
      framesOf(random(4 * MiB), async (sent) => {
        if (sent === 2 * MiB) {
          stalled();
          await new Promise(() => undefined); // the client stops sending, forever
        }
      }),
      { chunkId },
    );
    const outcome = write.catch((err: unknown) => err);
    await stall;
    // The temp file of the running write.
    expect(await eventually(async () => (await chunkTraces(n)).length === 1)).toBe(true);
    expect(await n.stop()).toEqual({ code: 0, signal: null });
    // Unavailable (retryable): the client should write the chunk elsewhere.
    expect(await outcome).toMatchObject({ code: Code.Unavailable, reason: 'SHUTTING_DOWN' });
    expect(await chunkTraces(n)).toEqual([]);
  });
});
