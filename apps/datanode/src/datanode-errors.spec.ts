import { rm, writeFile } from 'node:fs/promises';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { Code, DatanodeService, MAX_CHUNK_SIZE, MAX_FRAME_SIZE, newChunkId } from '@dfs/proto';
import { ManagedProcess, eventually, startDatanodeProcess, stopAllProcesses, workspaceRoot, type DatanodeProcess } from '@dfs/test-cluster';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readChunkStream } from '@dfs/streamer';
import { MiB, chunkTraces, framesOf, random, readFrom, readRaw, writeTo } from './test/chunk-client.js';

// Bad input over the real protocol: every case gets the right code, and
// nothing stored is damaged.
jest.setTimeout(60_000);

let node: DatanodeProcess;
let pool: ClientPool;
let bigPool: ClientPool;
let blackhole: Server;

beforeAll(async () => {
  node = await startDatanodeProcess({ name: 'dn-errors', env: { DATANODE_REPLICA_IDLE_TIMEOUT: '1s' } });
  blackhole = createServer(() => undefined); // accepts TCP, never speaks HTTP/2
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  pool = createClientPool({ policy: noRetry });
  // Lets this client send messages past the server's limit, to test the server.
  bigPool = createClientPool({ policy: noRetry, writeMaxBytes: 16 * MiB, readMaxBytes: 16 * MiB });
});

afterAll(async () => {
  blackhole?.close();
  await pool?.close();
  await bigPool?.close();
  await stopAllProcesses();
  if (node) await rm(node.dataDir, { recursive: true, force: true });
});

async function* oneFrame(data: Uint8Array) {
  yield data;
}

describe('WriteChunk rejects', () => {
  it('a frame over the 4 MiB maximum (ResourceExhausted), from the node or the transport', async () => {
    for (const size of [MAX_FRAME_SIZE + 1, 8 * MiB]) {
      await expect(writeTo(bigPool, node, [], oneFrame(random(size)))).rejects.toMatchObject({ code: Code.ResourceExhausted });
    }
  });

  it('a malformed chunk id (InvalidArgument), creating nothing', async () => {
    for (const chunkId of ['../../../../etc/passwd', 'ABCDEF0123456789ABCDEF0123456789', '', 'x'.repeat(10_000)]) {
      await expect(writeTo(pool, node, [], oneFrame(random(10)), { chunkId })).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_CHUNK_ID' });
    }
    expect(await chunkTraces(node)).toEqual([]);
  });

  it('a zero-length chunk (InvalidArgument)', async () => {
    await expect(writeTo(pool, node, [], oneFrame(random(10)), { size: 0 })).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'EMPTY_CHUNK' });
    await expect(writeTo(pool, node, [], framesOf(new Uint8Array(0)))).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'EMPTY_CHUNK' });
  });

  it('a chunk over 64 MiB, declared or streamed (InvalidArgument)', async () => {
    await expect(writeTo(pool, node, [], oneFrame(random(10)), { size: MAX_CHUNK_SIZE + 1 })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      reason: 'CHUNK_TOO_LARGE',
    });
    const frame = random(4 * MiB);
    async function* tooMuch() {
      for (let i = 0; i < MAX_CHUNK_SIZE / frame.length + 1; i++) yield frame;
    }
    await expect(writeTo(pool, node, [], tooMuch())).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'CHUNK_TOO_LARGE' });
    expect(await chunkTraces(node)).toEqual([]);
  });

  it('fewer bytes than the declared size (InvalidArgument)', async () => {
    await expect(writeTo(pool, node, [], framesOf(random(MiB)), { size: 2 * MiB })).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'SIZE_MISMATCH' });
  });

  it('an unreachable replica below min_replicas (Unavailable), storing nothing', async () => {
    const chunkId = newChunkId();
    const ghost = { ready: { nodeId: 'ghost', address: '127.0.0.1:1', port: 1 } } as unknown as DatanodeProcess;
    await expect(writeTo(pool, node, [ghost], framesOf(random(MiB)), { chunkId, minReplicas: 2 })).rejects.toMatchObject({
      code: Code.Unavailable,
      reason: 'NOT_ENOUGH_REPLICAS',
    });
    await expect(readFrom(pool, node, chunkId)).rejects.toMatchObject({ code: Code.NotFound });
  });
});

describe('unresponsive replicas', () => {
  it('drops a replica that accepts the connection but never answers, and finishes on the rest', async () => {
    const silent = { ready: { nodeId: 'silent', address: `127.0.0.1:${(blackhole.address() as AddressInfo).port}`, port: 0 } } as unknown as DatanodeProcess;
    const chunkId = newChunkId();
    const { result } = await writeTo(pool, node, [silent], framesOf(random(8 * MiB)), { chunkId, minReplicas: 1 });
    expect(result.replicas.map((r) => r.durable)).toEqual([true, false]);
    expect(result.replicas[1]!.errorCode).toBe('deadline_exceeded');
    expect((await readFrom(pool, node, chunkId)).length).toBe(8 * MiB);
  });
});

describe('ReadChunk rejects', () => {
  let chunkId: string;
  beforeAll(async () => {
    chunkId = newChunkId();
    await writeTo(pool, node, [], framesOf(random(100_000)), { chunkId });
  });

  it('negative offsets and lengths (InvalidArgument)', async () => {
    await expect(readRaw(pool, node, chunkId, { offset: -1 })).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_RANGE' });
    await expect(readRaw(pool, node, chunkId, { offset: 0, length: -5 })).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_RANGE' });
  });

  it('ranges past the end (OutOfRange)', async () => {
    await expect(readRaw(pool, node, chunkId, { offset: 100_001 })).rejects.toMatchObject({ code: Code.OutOfRange });
    await expect(readRaw(pool, node, chunkId, { offset: 99_000, length: 2_000 })).rejects.toMatchObject({ code: Code.OutOfRange });
  });

  it('unknown chunk ids (NotFound) and malformed ones (InvalidArgument)', async () => {
    await expect(readFrom(pool, node, newChunkId())).rejects.toMatchObject({ code: Code.NotFound });
    await expect(readFrom(pool, node, '../chunks')).rejects.toMatchObject({ code: Code.InvalidArgument, reason: 'BAD_CHUNK_ID' });
  });

  it('releases the node side of a read the client leaves early', async () => {
    const big = newChunkId();
    await writeTo(pool, node, [], framesOf(random(16 * MiB)), { chunkId: big });
    for (let i = 0; i < 3; i++) {
      for await (const _ of readChunkStream(pool.client(DatanodeService, node.ready!.address), { chunkId: big, idleTimeoutMs: 3_000 })) break;
    }
    const client = pool.client(DatanodeService, node.ready!.address);
    expect(await eventually(async () => (await client.health({})).stats!.activeTransfers === 0)).toBe(true);
  });

  it('still serves the stored chunk after all of the above', async () => {
    expect((await readFrom(pool, node, chunkId)).length).toBe(100_000);
  });
});

describe('DeleteChunks and Health', () => {
  it('deletes chunks, reports unknown ones, rejects malformed ids without deleting anything', async () => {
    const id = newChunkId();
    await writeTo(pool, node, [], framesOf(random(1000)), { chunkId: id });
    const client = pool.client(DatanodeService, node.ready!.address);
    await expect(client.deleteChunks({ chunkIds: [id, '../x'] })).rejects.toMatchObject({ code: Code.InvalidArgument });
    expect((await readFrom(pool, node, id)).length).toBe(1000);
    const other = newChunkId();
    const res = await client.deleteChunks({ chunkIds: [id, other] });
    expect(res.deleted).toEqual([id]);
    expect(res.notFound).toEqual([other]);
    await expect(readFrom(pool, node, id)).rejects.toMatchObject({ code: Code.NotFound });
  });

  it('reports identity and usage', async () => {
    const h = await pool.client(DatanodeService, node.ready!.address).health({});
    expect(h.nodeId).toBe(node.ready!.nodeId);
    expect(h.status).toBe('serving');
    expect(Number(h.stats!.chunkCount)).toBeGreaterThan(0);
    expect(h.stats!.capacityBytes).toBeGreaterThan(0n);
  });
});

describe('configuration', () => {
  it('reads a YAML file, with the environment taking precedence', async () => {
    const file = join(tmpdir(), `dfs-dn-${process.pid}.yaml`);
    await writeFile(file, 'host: 127.0.0.1\nport: 1\nzone: rack-a\ncapacity: 5GiB\nwrite:\n  minReplicas: 1\n');
    const dn = await startDatanodeProcess({ name: 'dn-yaml', args: ['--config', file] }); // env DATANODE_PORT=0 beats port: 1
    try {
      const h = await pool.client(DatanodeService, dn.ready!.address).health({});
      expect(h.stats!.capacityBytes).toBe(5n * 1024n ** 3n);
      expect(dn.ready!.port).not.toBe(1);
    } finally {
      await dn.stop();
      await rm(dn.dataDir, { recursive: true, force: true });
      await rm(file, { force: true });
    }
  });

  it('refuses a YAML file with an unknown key, naming file, line and key', async () => {
    const file = join(tmpdir(), `dfs-dn-bad-${process.pid}.yaml`);
    await writeFile(file, 'zone: rack-a\nwrite:\n  minReplica: 1\n');
    const dataDir = join(tmpdir(), `dfs-dn-bad-yaml-${process.pid}`);
    try {
      await expect(startDatanodeProcess({ name: 'dn-bad-yaml', dataDir, args: ['--config', file] })).rejects.toThrow(/code 78[\s\S]*dfs-dn-bad-\d+\.yaml:3[\s\S]*minReplica/);
    } finally {
      await rm(file, { force: true });
      await rm(dataDir, { recursive: true, force: true });
      await rm(`${dataDir}.log`, { force: true });
    }
  });

  it('refuses to start on invalid settings, naming each one', async () => {
    const bad = new ManagedProcess({
      name: 'dn-bad-config',
      script: join(workspaceRoot(), 'apps/datanode/dist/main.js'),
      env: { DATANODE_PORT: 'eighty', DATANODE_MIN_REPLICAS: '0', DATA_DIR: join(tmpdir(), 'dfs-never-created') },
      logFile: join(tmpdir(), `dfs-bad-config-${process.pid}.log`),
      readyWhen: () => undefined,
    });
    await expect(bad.start()).rejects.toThrow(/code 78[\s\S]*DATANODE_PORT[\s\S]*DATANODE_MIN_REPLICAS/);
  });
});
