import { mkdtemp, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChunkStore, type ChunkStore } from '@dfs/chunk-store';
import { createClientPool, exponentialBackoff, type ClientPool } from '@dfs/client-pool';
import { Code, DfsError, chunkSha256, newChunkId, type HeartbeatRequest, type HeartbeatResponse } from '@dfs/proto';
import { eventually } from '@dfs/test-cluster';
import pino from 'pino';
import { CoordinatorAgent, type CoordinatorAgentOptions } from './coordinator-agent.js';
import { PendingReports } from './pending-reports.js';
import { copyCommand, freePort, startFakeCoordinator, type FakeCoordinator } from './test/fake-coordinator.js';

// The agent against a coordinator stand-in on a real socket (the unit's neighbour).
jest.setTimeout(30_000);

let dir: string;
let store: ChunkStore;
let pool: ClientPool;
let coordinator: FakeCoordinator | undefined;
const agents: CoordinatorAgent[] = [];

async function putChunk(): Promise<string> {
  const id = newChunkId();
  const data = new Uint8Array(100).fill(1);
  const w = await store.createWriter({ chunkId: id, size: 100, sha256: chunkSha256(data) });
  await w.write(data);
  await w.commit();
  return id;
}

/** Polls until `check` holds; fails the test if it never does. */
async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  if (!(await eventually(async () => check(), ms, 20))) throw new Error('condition not met in time');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-agent-'));
  store = await createChunkStore(dir);
  pool = createClientPool({ policy: exponentialBackoff({ baseMs: 10, maxMs: 50, maxAttempts: 2 }) });
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await pool.close();
  await coordinator?.close();
  coordinator = undefined;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function startAgent(address: string, options: Partial<CoordinatorAgentOptions> = {}): CoordinatorAgent {
  const agent = new CoordinatorAgent({
    coordinators: [address],
    pool,
    store,
    self: { nodeId: 'node-1', address: '127.0.0.1:1', zone: 'z' },
    logger: pino({ level: 'silent' }),
    activeTransfers: () => 0,
    copyChunk: async () => undefined,
    reportBatch: 2,
    ...options,
  });
  agents.push(agent);
  agent.start();
  return agent;
}

/** Sends `commands` with the next heartbeat; resolves once the agent has taken them up. */
async function command(commands: HeartbeatResponse['commands']): Promise<void> {
  coordinator!.nextAnswer = { commands };
  await until(() => coordinator!.nextAnswer === undefined);
  // The agent starts a heartbeat's commands before it sends the next heartbeat.
  const carried = coordinator!.heartbeats.length;
  await until(() => coordinator!.heartbeats.length > carried);
}

/**
 * A coordinator and an agent whose copies start (recorded in `started`) but
 * finish only on finish(); copies to node "down" then fail.
 */
async function startWithHeldCopies() {
  coordinator = await startFakeCoordinator();
  const corruptChunks = new PendingReports<string>();
  const started: string[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  startAgent(coordinator.address, {
    corruptChunks,
    copyChunk: async (chunkId, target) => {
      started.push(chunkId);
      await finished;
      if (target.nodeId === 'down') throw new Error('connect ECONNREFUSED 127.0.0.1:9');
    },
  });
  await until(() => coordinator!.heartbeats.length >= 1);
  return { fake: coordinator, corruptChunks, started, finish };
}

it('registers once the coordinator comes up, reports every chunk in batches, then heartbeats', async () => {
  const ids = [await putChunk(), await putChunk(), await putChunk()];
  const port = await freePort();
  startAgent(`127.0.0.1:${port}`);
  await new Promise((r) => setTimeout(r, 300)); // nobody listening yet: the agent keeps trying
  coordinator = await startFakeCoordinator({ port });
  await until(() => coordinator!.heartbeats.length >= 2);
  expect(coordinator.registers).toBe(1);
  expect(coordinator.reports.flat().sort()).toEqual([...ids].sort());
  expect(coordinator.reports.map((b) => b.length)).toEqual([2, 1]);
});

/** Two stored chunks (one to keep, one to delete) and an agent that has heartbeaten once. */
async function startWithTwoChunks(): Promise<{ keep: string; drop: string; fake: FakeCoordinator }> {
  const keep = await putChunk();
  const drop = await putChunk();
  coordinator = await startFakeCoordinator();
  startAgent(coordinator.address);
  const fake = coordinator;
  await until(() => fake.heartbeats.length >= 1);
  return { keep, drop, fake };
}

function deleteCommand(chunkId: string): HeartbeatResponse['commands'] {
  return [{ command: { case: 'deleteChunks', value: { chunkIds: [chunkId] } } }] as HeartbeatResponse['commands'];
}

it('deletes chunks on command and registers again when asked', async () => {
  const { keep, drop, fake } = await startWithTwoChunks();
  await command(deleteCommand(drop));
  // The command runs right after the heartbeat that carried it.
  await until(async () => !(await store.has(drop)));
  expect(await store.has(keep)).toBe(true);
  await until(() => fake.removedChunkIds().includes(drop)); // confirmed back to the coordinator
  fake.nextAnswer = { reregister: true };
  await until(() => fake.registers >= 2);
});

it('deletes each chunk of a command on its own: one that fails is logged and not confirmed, the others are', async () => {
  const [first, failing, unlinked, last] = [await putChunk(), await putChunk(), await putChunk(), await putChunk()];
  const eio = (id: string) => new DfsError(Code.Internal, `deleting chunk ${id}: I/O error (EIO: i/o error); check the disk and the node's logs`);
  // The store's neighbour double: EIO for one id, and for another after its
  // file is gone (a failed directory fsync).
  const failingStore = new Proxy(store, {
    get(target, key) {
      if (key === 'delete') {
        return async (id: string) => {
          if (id === failing) throw eio(id);
          if (id === unlinked) {
            await target.delete(id);
            throw eio(id);
          }
          return target.delete(id);
        };
      }
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const logged: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>) });
  coordinator = await startFakeCoordinator();
  const fake = coordinator;
  startAgent(fake.address, { store: failingStore, logger });
  await until(() => fake.heartbeats.length >= 1);
  await command([{ command: { case: 'deleteChunks', value: { chunkIds: [first, failing, unlinked, first, last] } } }] as HeartbeatResponse['commands']);
  await until(() => [first, unlinked, last].every((id) => fake.removedChunkIds().includes(id)));
  const carried = fake.heartbeats.length;
  await until(() => fake.heartbeats.length > carried); // and nothing more follows
  expect(fake.removedChunkIds().sort()).toEqual([first, unlinked, last].sort());
  expect(await store.has(last)).toBe(false);
  expect(await store.has(failing)).toBe(true);
  expect(logged).toContainEqual(expect.objectContaining({ chunkId: failing, msg: 'could not delete a chunk on command; the coordinator will ask again' }));
  expect(logged).toContainEqual(expect.objectContaining({ requested: 5, deleted: 3, notFound: 0, failed: 1 }));
});

it('runs the deletes of a heartbeat answer before the report it asks for, so the report does not list them', async () => {
  const { keep, drop, fake } = await startWithTwoChunks();
  const reported = fake.reports.length;
  fake.nextAnswer = { commands: deleteCommand(drop), reportChunks: true };
  await until(() => fake.nextAnswer === undefined);
  // The report runs before the next heartbeat.
  const carried = fake.heartbeats.length;
  await until(() => fake.heartbeats.length > carried);
  expect(fake.reports.slice(reported).flat()).toEqual([keep]);
});

it('reports corrupt chunks and copy outcomes, and sends them again after a failed heartbeat', async () => {
  const { fake, corruptChunks, started, finish } = await startWithHeldCopies();
  const [good, bad, corrupt] = [newChunkId(), newChunkId(), newChunkId()];
  await command([copyCommand(good, { nodeId: 'up', address: '127.0.0.1:8' }), copyCommand(bad, { nodeId: 'down', address: '127.0.0.1:9' })]);
  await until(() => started.length === 2);
  // What happens now is told in heartbeats that fail, then again once they get through.
  fake.refusing = true;
  corruptChunks.add(corrupt);
  finish();
  const carried = (hs: HeartbeatRequest[]) => hs.some((h) => h.corruptChunkIds.includes(corrupt)) && hs.some((h) => h.copyOutcomes.length === 2);
  await until(() => carried(fake.refused));
  fake.refusing = false;
  await until(() => carried(fake.heartbeats));

  expect(fake.corruptChunkIds()).toEqual([corrupt]);
  const outcomes = fake.copyOutcomes().map(({ chunkId, targetNodeId, ok, error }) => ({ chunkId, targetNodeId, ok, error }));
  expect(outcomes).toEqual([
    { chunkId: good, targetNodeId: 'up', ok: true, error: '' },
    { chunkId: bad, targetNodeId: 'down', ok: false, error: expect.stringMatching(/ECONNREFUSED/) },
  ]);
});

it('runs a repeated copy command once, and does not report a chunk as corrupt once it is stored again', async () => {
  const { fake, corruptChunks, started, finish } = await startWithHeldCopies();
  const chunk = newChunkId();
  const target = { nodeId: 'n2', address: '127.0.0.1:8' };
  await command([copyCommand(chunk, target)]);
  await command([copyCommand(chunk, target)]); // the coordinator asks again while the first still runs
  finish();
  await until(() => fake.copyOutcomes().length === 1);

  // Quarantined, then re-replicated here before a heartbeat got through.
  const restored = await putChunk();
  const lost = newChunkId();
  corruptChunks.add(restored);
  corruptChunks.add(lost);
  await until(() => fake.corruptChunkIds().length > 0);
  expect(fake.corruptChunkIds()).toEqual([lost]);
  expect(started).toEqual([chunk]);
  expect(fake.copyOutcomes()).toHaveLength(1);
});

it('gives up on a coordinator that accepts calls but never answers, and goes on with the next one', async () => {
  // Stands for a coordinator that was SIGSTOPped or whose host went silent: the connection stays up.
  const silent = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  silent.on('session', (s) => sessions.add(s));
  // Streams are left open; they end with an error when their session is destroyed below.
  silent.on('stream', (stream) => stream.on('error', () => undefined));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    coordinator = await startFakeCoordinator();
    const { port } = silent.address() as AddressInfo;
    const agent = startAgent(coordinator.address, { coordinators: [`127.0.0.1:${port}`, coordinator.address], callTimeoutMs: 300 });
    // The pool starts each call at the next address in turn, so half of them begin at the silent one.
    await until(() => coordinator!.heartbeats.length >= 4, 10_000);
    expect(coordinator.registers).toBe(1);
    await agent.stop();
    await pool.close();
  } finally {
    for (const s of sessions) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

it('sends what a heartbeat answered with "register again" carried once more, after registering', async () => {
  const { fake, corruptChunks, started, finish } = await startWithHeldCopies();
  const [copied, corrupt] = [newChunkId(), newChunkId()];
  await command([copyCommand(copied, { nodeId: 'up', address: '127.0.0.1:8' })]);
  await until(() => started.length === 1);
  // Held back by refused heartbeats, so that the one answered "register again" is sure to carry both.
  fake.refusing = true;
  corruptChunks.add(corrupt);
  finish();
  await until(() => fake.refused.some((h) => h.corruptChunkIds.includes(corrupt) && h.copyOutcomes.length === 1));
  fake.nextAnswer = { reregister: true };
  fake.refusing = false;
  await until(() => fake.registers >= 2);
  // The coordinator that forgot this node processed none of it: the first heartbeat after registering tells it again.
  await until(() => fake.heartbeats.filter((h) => h.corruptChunkIds.includes(corrupt)).length >= 2);
  const carrying = fake.heartbeats.filter((h) => h.corruptChunkIds.includes(corrupt));
  expect(carrying.map((h) => h.copyOutcomes.map((o) => o.chunkId))).toEqual([[copied], [copied]]);
});
