import { randomBytes, randomUUID } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { Code, CommitUploadRequestSchema, CoordinatorService, DfsError, newChunkId, ReportChunksRequestSchema, type CommitUploadRequest } from '@dfs/proto';
import pino from 'pino';
import { coordinatorConfigSchema } from './coordinator-config.js';
import { MAX_REQUEST_BYTES } from './request-limits.js';
import { startCoordinator, type Coordinator } from './start-coordinator.js';

// The coordinator's server in-process (memory metadata): how large a request it reads.
jest.setTimeout(60_000);

let coord: Coordinator;
let pool: ClientPool;

beforeAll(async () => {
  coord = await startCoordinator(coordinatorConfigSchema.parse({ port: 0, metadata: { backend: 'memory' } }), pino({ level: 'silent' }));
  // This client sends far more than DFS clients do, to see what the server does with it.
  pool = createClientPool({ policy: noRetry, writeMaxBytes: 64 * 1024 * 1024 });
});

afterAll(async () => {
  await pool?.close();
  await coord?.close();
});

/** A CommitUpload of `chunks` chunks at 3 replicas, as the SDK sends it. */
function commitOf(chunks: number): CommitUploadRequest {
  const nodes = [randomUUID(), randomUUID(), randomUUID()];
  return create(CommitUploadRequestSchema, {
    uploadId: randomUUID(),
    chunks: Array.from({ length: chunks }, (_, index) => ({ chunkId: newChunkId(), index, size: 64n << 20n, sha256: randomBytes(32), replicaNodeIds: nodes })),
    fileSha256: randomBytes(32),
    size: BigInt(chunks) << 26n,
  });
}

async function codeOf(p: Promise<unknown>): Promise<Code | 'ok'> {
  return p.then(
    () => 'ok' as const,
    (err: unknown) => DfsError.from(err).code,
  );
}

describe('coordinator request size', () => {
  const client = () => pool.client(CoordinatorService, coord.address);

  it('reads the largest requests DFS clients send: a commit as large as their 4 MiB + 64 KiB, a full chunk report', async () => {
    const commit = commitOf(21_900);
    expect(toBinary(CommitUploadRequestSchema, commit).length).toBeGreaterThan(4 * 1024 * 1024);
    expect(toBinary(CommitUploadRequestSchema, commit).length).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    // Reaches the handler: the upload is unknown.
    expect(await codeOf(client().commitUpload(commit))).toBe(Code.NotFound);
    const report = create(ReportChunksRequestSchema, { nodeId: randomUUID(), reportId: randomUUID(), chunkIds: Array.from({ length: 10_000 }, () => newChunkId()) });
    expect(await codeOf(client().reportChunks(report))).toBe(Code.FailedPrecondition); // the node is not registered
  });

  it('refuses a larger request with ResourceExhausted instead of reading it whole', async () => {
    const commit = commitOf(30_000);
    expect(toBinary(CommitUploadRequestSchema, commit).length).toBeGreaterThan(MAX_REQUEST_BYTES);
    expect(await codeOf(client().commitUpload(commit))).toBe(Code.ResourceExhausted);
    // The server is fine afterwards.
    expect(await codeOf(client().listNodes({}))).toBe('ok');
  });
});

describe('coordinator stalls', () => {
  it('does not declare nodes dead for silence while its own event loop was blocked', async () => {
    // Beats every 300 ms, suspect after 1 s, dead after 3 s; the block lasts twice that, so the node
    // is dead without the fix, and has ~2.7 s to be heard after the block with it (a loaded CI box).
    const config = coordinatorConfigSchema.parse({ port: 0, metadata: { backend: 'memory' }, membership: { heartbeatIntervalMs: 300, suspectAfterMs: 1_000, deadAfterMs: 3_000 } });
    const stalled = await startCoordinator(config, pino({ level: 'silent' }));
    try {
      const c = pool.client(CoordinatorService, stalled.address);
      const stats = { capacityBytes: 1n << 30n, usedBytes: 0n, freeBytes: 1n << 30n, chunkCount: 0n, activeTransfers: 0 };
      await c.registerNode({ nodeId: 'n1', address: '127.0.0.1:1', zone: '', stats });
      await c.heartbeat({ nodeId: 'n1', stats });
      // A synchronous job holds the thread past deadAfterMs (a huge transaction, a long GC).
      const until = performance.now() + 6_000;
      while (performance.now() < until) {
        // blocked: the node's beats wait in the socket
      }
      // The next beat is read only after the membership tick's overdue timer has run.
      const beat = await c.heartbeat({ nodeId: 'n1', stats });
      expect(beat.reregister).toBe(false);
      expect(stalled.membership.node('n1')?.state).toBe('healthy');
    } finally {
      await stalled.close();
    }
  });
});
