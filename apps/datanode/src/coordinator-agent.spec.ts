import http2 from 'node:http2';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createChunkStore, type ChunkStore } from '@dfs/chunk-store';
import { createClientPool, exponentialBackoff, type ClientPool } from '@dfs/client-pool';
import { chunkSha256, CoordinatorService, HeartbeatResponseSchema, newChunkId, type HeartbeatResponse } from '@dfs/proto';
import pino from 'pino';
import { CoordinatorAgent } from './coordinator-agent.js';

// The agent against a coordinator stand-in on a real socket (the unit's neighbour).
jest.setTimeout(30_000);

let dir: string;
let store: ChunkStore;
let pool: ClientPool;
let server: http2.Http2Server | undefined;

const seen = { registers: 0, reports: [] as string[][], heartbeats: 0, removed: [] as string[] };
let nextHeartbeat: Pick<Partial<HeartbeatResponse>, 'commands' | 'reregister'> = {};

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

function startCoordinator(port: number): Promise<void> {
  server = http2.createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(CoordinatorService, {
          registerNode: () => {
            seen.registers++;
            return { membershipVersion: 7n, heartbeatIntervalMs: 50, reportChunks: true };
          },
          reportChunks: (req) => {
            seen.reports.push(req.chunkIds);
            return { unknownChunkIds: [] };
          },
          heartbeat: (req) => {
            seen.heartbeats++;
            seen.removed.push(...req.removedChunkIds);
            const res = create(HeartbeatResponseSchema, { membershipVersion: 7n, ...nextHeartbeat });
            nextHeartbeat = {};
            return res;
          },
        }),
    }),
  );
  return new Promise((r) => server!.listen(port, '127.0.0.1', () => r()));
}

async function putChunk(): Promise<string> {
  const id = newChunkId();
  const data = new Uint8Array(100).fill(1);
  const w = await store.createWriter({ chunkId: id, size: 100, sha256: chunkSha256(data) });
  await w.write(data);
  await w.commit();
  return id;
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-agent-'));
  store = await createChunkStore(dir);
  pool = createClientPool({ policy: exponentialBackoff({ baseMs: 10, maxMs: 50, maxAttempts: 2 }) });
  Object.assign(seen, { registers: 0, reports: [], heartbeats: 0, removed: [] });
});

afterEach(async () => {
  await pool.close();
  server?.close();
  server = undefined;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function agentFor(port: number) {
  return new CoordinatorAgent({
    coordinators: [`127.0.0.1:${port}`],
    pool,
    store,
    self: { nodeId: 'node-1', address: '127.0.0.1:1', zone: 'z' },
    logger: pino({ level: 'silent' }),
    activeTransfers: () => 0,
    copyChunk: async () => undefined,
    reportBatch: 2,
  });
}

it('registers once the coordinator comes up, reports every chunk in batches, then heartbeats', async () => {
  const ids = [await putChunk(), await putChunk(), await putChunk()];
  const port = await freePort();
  const agent = agentFor(port);
  agent.start();
  try {
    await new Promise((r) => setTimeout(r, 300)); // nobody listening yet: the agent keeps trying
    await startCoordinator(port);
    await until(() => seen.heartbeats >= 2);
    expect(seen.registers).toBe(1);
    expect(seen.reports.flat().sort()).toEqual([...ids].sort());
    expect(seen.reports.map((b) => b.length)).toEqual([2, 1]);
  } finally {
    await agent.stop();
  }
});

it('deletes chunks on command and registers again when asked', async () => {
  const keep = await putChunk();
  const drop = await putChunk();
  const port = await freePort();
  await startCoordinator(port);
  const agent = agentFor(port);
  agent.start();
  try {
    await until(() => seen.heartbeats >= 1);
    nextHeartbeat = { commands: [{ command: { case: 'deleteChunks', value: { chunkIds: [drop] } } }] as HeartbeatResponse['commands'] };
    await until(() => nextHeartbeat.commands === undefined);
    // The command runs right after the heartbeat that carried it.
    for (let i = 0; i < 100 && (await store.has(drop)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await store.has(drop)).toBe(false);
    expect(await store.has(keep)).toBe(true);
    await until(() => seen.removed.includes(drop)); // confirmed back to the coordinator
    nextHeartbeat = { reregister: true };
    await until(() => seen.registers >= 2);
  } finally {
    await agent.stop();
  }
});
