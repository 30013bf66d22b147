import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createChunkStore, type ChunkStore } from '@dfs/chunk-store';
import { createClientPool, noRetry, serveHttp2, type ClientPool, type Http2Listener } from '@dfs/client-pool';
import {
  Code,
  DatanodeService,
  DeleteChunksResponseSchema,
  DfsError,
  ReplicaSchema,
  WriteChunkResultSchema,
  chunkSha256,
  newChunkId,
  type WriteChunkHeader,
  type WriteChunkResult,
} from '@dfs/proto';
import { ByteBudget } from '@dfs/streamer';
import pino from 'pino';
import { registerDatanodeService } from './datanode-service.js';
import { InFlight } from './in-flight.js';
import { resetStreamContext } from './reset-stream-key.js';
import { WriteSlots } from './write-slots.js';

// The service in this process, on a real socket and a real disk; the
// store's delete is replaced for chosen ids, and a copy target that answers
// as a test says stands in for another datanode.
jest.setTimeout(30_000);

const MiB = 1024 * 1024;
let dir: string;
let store: ChunkStore;
let pool: ClientPool;
let node: Http2Listener;
let target: Http2Listener;
const self = create(ReplicaSchema, { nodeId: 'dn-self', address: '' });
/** Ids whose delete fails with an I/O error; `unlinked` ones after removing the file (a failed directory fsync). */
const deleteFails = new Map<string, 'kept' | 'unlinked'>();
/** What the stand-in target answers to a write, given its header. */
let answer: (header: WriteChunkHeader) => WriteChunkResult;

function storeDouble(real: ChunkStore): ChunkStore {
  return new Proxy(real, {
    get(t, key) {
      if (key === 'delete') {
        return async (id: string) => {
          const failure = deleteFails.get(id);
          if (failure === 'unlinked') await t.delete(id);
          if (failure) throw new DfsError(Code.Internal, `deleting chunk ${id}: I/O error (EIO: i/o error); check the disk and the node's logs`);
          return t.delete(id);
        };
      }
      const value: unknown = Reflect.get(t, key);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-dn-service-'));
  store = await createChunkStore(dir);
  pool = createClientPool({ policy: noRetry });
  const deps = {
    store: storeDouble(store),
    pool,
    inFlight: new InFlight(),
    self,
    logger: pino({ level: 'silent' }),
    budgets: { pipelined: new ByteBudget(32 * MiB), leaf: new ByteBudget(32 * MiB) },
    slots: new WriteSlots({ maxActive: 3, maxActiveSmall: 32 }),
    write: { maxFrameSize: 4 * MiB, idleTimeoutMs: 10_000, replicaIdleTimeoutMs: 10_000, replicaWindowFrames: 8, defaultMinReplicas: 1 },
    read: { idleTimeoutMs: 0, slots: new ByteBudget(8) },
    copySlots: new ByteBudget(2),
    version: 'test',
    startedAt: Date.now(),
  };
  node = await serveHttp2(connectNodeAdapter({ routes: (router) => registerDatanodeService(router, deps), contextValues: resetStreamContext }), {
    host: '127.0.0.1',
    port: 0,
  });
  self.address = `127.0.0.1:${node.port}`;
  target = await serveHttp2(
    connectNodeAdapter({
      routes: (router) =>
        router.service(DatanodeService, {
          async *writeChunk(requests) {
            let header: WriteChunkHeader | undefined;
            for await (const r of requests) if (r.message.case === 'header') header = r.message.value;
            yield { message: { case: 'result', value: answer(header!) } };
          },
        }),
    }),
    { host: '127.0.0.1', port: 0 },
  );
});

afterAll(async () => {
  await pool?.close();
  await node?.close();
  await target?.close();
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function put(size = 1000): Promise<{ chunkId: string; data: Uint8Array }> {
  const chunkId = newChunkId();
  const data = new Uint8Array(size).fill(7);
  const w = await store.createWriter({ chunkId, size, sha256: chunkSha256(data) });
  await w.write(data);
  await w.commit();
  return { chunkId, data };
}

const client = () => pool.client(DatanodeService, self.address);

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error('expected the call to fail');
}

describe('DeleteChunks', () => {
  it('deletes every other id when some fail, and fails naming those, with what was done in the details', async () => {
    const [a, bad, b, gone] = [await put(), await put(), await put(), await put()];
    const missing = newChunkId();
    deleteFails.set(bad.chunkId, 'kept').set(gone.chunkId, 'unlinked');
    const err = await failure(client().deleteChunks({ chunkIds: [a.chunkId, bad.chunkId, b.chunkId, gone.chunkId, a.chunkId, missing] }));
    expect(err.code).toBe(Code.Internal);
    expect(err.rawMessage).toMatch(new RegExp(`could not delete 1 of 5 chunks \\(${bad.chunkId}: .*EIO.*send the call again`));
    const [done] = err.findDetails(DeleteChunksResponseSchema);
    expect(done).toMatchObject({ deleted: [a.chunkId, b.chunkId, gone.chunkId], notFound: [missing] });
    expect(await store.has(b.chunkId)).toBe(false);
    expect(await store.has(gone.chunkId)).toBe(false);
    expect(await store.has(bad.chunkId)).toBe(true);
    // Once the disk lets it, sending the call again finishes the job.
    deleteFails.clear();
    const again = await client().deleteChunks({ chunkIds: [a.chunkId, bad.chunkId, b.chunkId, gone.chunkId, a.chunkId, missing] });
    expect(again).toMatchObject({ deleted: [bad.chunkId], notFound: [a.chunkId, b.chunkId, gone.chunkId, missing] });
  });

  it('answers each id once, however often it is named', async () => {
    const { chunkId } = await put();
    const missing = newChunkId();
    const res = await client().deleteChunks({ chunkIds: [chunkId, missing, chunkId, missing] });
    expect(res).toMatchObject({ deleted: [chunkId], notFound: [missing] });
  });
});

describe('CopyChunk', () => {
  const targetReplica = () => ({ nodeId: 'dn-target', address: `127.0.0.1:${target.port}` });
  /** The honest answer of a target that stored the chunk durably. */
  const honest = (h: WriteChunkHeader) =>
    create(WriteChunkResultSchema, { chunkId: h.chunkId, size: h.size ?? 0n, sha256: h.sha256, replicas: [{ replica: targetReplica(), durable: true }] });

  it('refuses this node itself as the target, by id or by address', async () => {
    const { chunkId } = await put();
    for (const to of [{ nodeId: self.nodeId, address: '127.0.0.1:9' }, { nodeId: 'dn-other', address: self.address }]) {
      const err = await failure(client().copyChunk({ chunkId, target: to }));
      expect([err.code, err.rawMessage]).toEqual([Code.InvalidArgument, expect.stringMatching(/is this node itself: name another node/)]);
    }
  });

  it('succeeds when the target says it holds the chunk durably', async () => {
    const { chunkId } = await put(100_000);
    answer = honest;
    const res = await client().copyChunk({ chunkId, target: targetReplica() });
    expect(res.result).toMatchObject({ durable: true, replica: targetReplica() });
  });

  it.each<[string, (r: WriteChunkResult) => void, Code, RegExp]>([
    ['another checksum', (r) => (r.sha256 = new Uint8Array(32)), Code.Internal, /answered with checksum 0000000000000000… instead of/],
    ['another size', (r) => (r.size += 1n), Code.Internal, /answered with size 100001 instead of 100000/],
    ['another chunk id', (r) => (r.chunkId = 'f'.repeat(32)), Code.Internal, /answered with chunk id/],
    ['a copy that is not durable', (r) => (r.replicas[0]!.durable = false), Code.Internal, /did not report its copy durable/],
    ['another node', (r) => (r.replicas[0]!.replica!.nodeId = 'dn-impostor'), Code.FailedPrecondition, /the node there is dn-impostor, not dn-target/],
  ])('fails when the target answers with %s', async (_what, spoil, code, message) => {
    const { chunkId } = await put(100_000);
    answer = (h) => {
      const r = honest(h);
      spoil(r);
      return r;
    };
    const err = await failure(client().copyChunk({ chunkId, target: targetReplica() }));
    expect([err.code, err.rawMessage]).toEqual([code, expect.stringMatching(message)]);
  });
});
