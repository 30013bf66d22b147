import { once } from 'node:events';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { createClientPool, noRetry, type ClientPool } from '@dfs/client-pool';
import { DatanodeService, ReadChunkRequestSchema, chunkSha256, newChunkId } from '@dfs/proto';
import { eventually } from '@dfs/test-cluster';
import pino from 'pino';
import { loadDatanodeConfig } from './datanode-config.js';
import { startDatanode, type Datanode } from './start-datanode.js';

// ReadChunk against clients that stop reading without canceling: a datanode
// in this process (so its open files can be seen), spoken to by a raw
// HTTP/2 client that sends a read and never consumes the reply.
jest.setTimeout(30_000);

const MiB = 1024 * 1024;
let dir: string;
let node: Datanode;
let pool: ClientPool;
const sessions: http2.ClientHttp2Session[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-dn-read-'));
  const config = loadDatanodeConfig({
    DATA_DIR: dir,
    DATANODE_PORT: '0',
    DATANODE_SCRUB_RATE: '0',
    DATANODE_READ_IDLE_TIMEOUT: '300ms',
    DATANODE_MAX_ACTIVE_READS: '1',
  });
  node = await startDatanode(config, pino({ level: 'silent' }));
  pool = createClientPool({ policy: noRetry });
});

afterAll(async () => {
  for (const s of sessions) s.destroy();
  await pool?.close();
  await node?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function put(size: number): Promise<string> {
  const chunkId = newChunkId();
  const data = new Uint8Array(size).fill(3);
  const w = await node.store.createWriter({ chunkId, size, sha256: chunkSha256(data) });
  await w.write(data);
  await w.commit();
  return chunkId;
}

function connect(): http2.ClientHttp2Session {
  const session = http2.connect(`http://${node.address}`);
  sessions.push(session);
  return session;
}

/**
 * Sends ReadChunk (Connect protocol, one enveloped request) and returns the
 * stream unread: paused, it takes no more than its flow-control window.
 */
function rawRead(session: http2.ClientHttp2Session, chunkId: string): http2.ClientHttp2Stream {
  const stream = session.request({
    ':method': 'POST',
    ':path': `/${DatanodeService.typeName}/ReadChunk`,
    'content-type': 'application/connect+proto',
    'connect-protocol-version': '1',
  });
  const body = toBinary(ReadChunkRequestSchema, create(ReadChunkRequestSchema, { chunkId }));
  const envelope = Buffer.alloc(5 + body.length);
  envelope.writeUInt32BE(body.length, 1);
  envelope.set(body, 5);
  stream.end(envelope);
  return stream;
}

/** Files this process has open whose path names `chunkId`. */
async function openFilesOf(chunkId: string): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const path = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (path.includes(chunkId)) out.push(path);
  }
  return out;
}

const activeTransfers = async () => (await pool.client(DatanodeService, node.address).health({})).stats!.activeTransfers;

it('ends a read whose client takes nothing for read.idleTimeoutMs: stream reset, file closed, transfer gone', async () => {
  const chunkId = await put(4 * MiB);
  const stalled = rawRead(connect(), chunkId);
  const closed = once(stalled, 'close');
  await once(stalled, 'response'); // the read runs: its header went out
  await closed;
  expect(stalled.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  expect(await eventually(async () => (await activeTransfers()) === 0)).toBe(true);
  expect(await eventually(async () => (await openFilesOf(chunkId)).length === 0)).toBe(true);
});

it('runs at most read.maxActive (1) reads at once: the next starts once the stalled one is ended', async () => {
  const [big, small] = [await put(4 * MiB), await put(100_000)];
  // One connection: the reset of the first is sure to arrive before the reply to the second.
  const session = connect();
  const stalled = rawRead(session, big);
  await once(stalled, 'response');
  const next = rawRead(session, small);
  await once(next, 'response');
  expect(stalled.rstCode).toBe(http2.constants.NGHTTP2_CANCEL);
  // The second one, read, finishes normally.
  let bytes = 0;
  next.on('data', (d: Buffer) => (bytes += d.length));
  await once(next, 'end');
  expect(bytes).toBeGreaterThan(100_000);
});
