import type { CallOptions, Client } from '@connectrpc/connect';
import { createClientPool, type ClientPool } from '@dfs/client-pool';
import { CoordinatorService, DatanodeService, HOST_PORT_PATTERN } from '@dfs/proto';
import { checkSlots } from './check-options.js';
import { ChunkSlots } from './chunk-slots.js';
import { DfsError } from './dfs-error.js';
import { HashThread } from './hash-thread.js';
import type { DfsClientOptions } from './dfs-client.js';

type Coordinator = Client<typeof CoordinatorService>;

/** What every operation of a client shares: its connections and its settings. */
export interface ClientContext {
  /**
   * Runs one coordinator RPC with the client's deadline and the caller's
   * signal, failing over between the coordinators and retrying transient
   * failures as the client pool's policy says; with `idempotent: false` (a
   * call that must not run twice) only failures where it never reached a
   * coordinator.
   */
  coordinator<T>(call: (client: Coordinator, options: CallOptions) => Promise<T>, signal?: AbortSignal, options?: { idempotent?: boolean }): Promise<T>;
  /** The datanode at `address` (chunk streams: bounded by idle timeouts, not deadlines). */
  datanode(address: string): Client<typeof DatanodeService>;
  readonly idleTimeoutMs: number;
  /** Room for chunk writes in flight, shared by every upload of the client (the `maxChunkWrites` option). */
  readonly chunkWrites: ChunkSlots;
  /** Room for chunks fetched by downloads to a local path, shared by all of them (the `maxChunkReads` option). */
  readonly chunkReads: ChunkSlots;
  /** Hashes the local files of large downloads, for all of them. */
  readonly hashThread: HashThread;
  close(): Promise<void>;
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
// Receive windows of 2 MiB per stream, as datanodes take for writes: on a
// fast network a download's chunk streams outrun the client's one thread, so
// the windows fill up and wait in memory; the pool's 8 MiB cost ~40 MiB more
// RSS per download and no speed on loopback (issue 7).
const DEFAULT_STREAM_WINDOW = 2 * 1024 * 1024;
const MIN_STREAM_WINDOW = 64 * 1024;
const MAX_STREAM_WINDOW = 64 * 1024 * 1024;
// Twice an upload's default concurrency: one or two uploads run as they
// would alone; eight at once held 32 chunk writes and ~260 MiB (issue 7)
// without uploading faster than two.
const DEFAULT_MAX_CHUNK_WRITES = 8;
// A download's default concurrency: one alone is as fast as it is with more
// (the client's thread is its limit), and eight at once held 32 chunks and
// ~350 MiB.
const DEFAULT_MAX_CHUNK_READS = 4;
const MAX_CHUNK_SLOTS = 64;

export function createClientContext(options: DfsClientOptions): ClientContext {
  const coordinators = checkAddresses(options?.coordinators);
  const callTimeoutMs = checkMs(options.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS, 'callTimeoutMs');
  const idleTimeoutMs = checkMs(options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeoutMs');
  const chunkWrites = new ChunkSlots(checkSlots(options.maxChunkWrites, DEFAULT_MAX_CHUNK_WRITES, MAX_CHUNK_SLOTS, 'maxChunkWrites'));
  const chunkReads = new ChunkSlots(checkSlots(options.maxChunkReads, DEFAULT_MAX_CHUNK_READS, MAX_CHUNK_SLOTS, 'maxChunkReads'));
  // No default deadline: chunk streams run as long as they make progress
  // (idle timeouts end stalled ones); coordinator calls set theirs per call.
  const streamWindow = checkWindow(options.streamWindow);
  const pool: ClientPool = createClientPool({ timeoutMs: 0, http2: { initialWindowSize: streamWindow } });
  const hashThread = new HashThread();
  let closed = false;

  return {
    idleTimeoutMs,
    chunkWrites,
    chunkReads,
    hashThread,
    coordinator(call, signal, callOptions) {
      if (closed) return Promise.reject(closedError());
      return pool.call(CoordinatorService, coordinators, (client) => call(client, { signal, timeoutMs: callTimeoutMs }), {
        signal,
        idempotent: callOptions?.idempotent,
      });
    },
    datanode(address) {
      if (closed) throw closedError();
      return pool.client(DatanodeService, address);
    },
    async close() {
      closed = true;
      await Promise.all([pool.close(), hashThread.close()]);
    },
  };
}

function closedError(): DfsError {
  return new DfsError('FailedPrecondition', 'the DFS client is closed: create a new one with createDfsClient()');
}

function checkAddresses(value: unknown): string[] {
  const list = typeof value === 'string' ? value.split(',').map((a) => a.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new DfsError('InvalidArgument', 'coordinators is required: pass "host:port" or a list of them, e.g. { coordinators: "127.0.0.1:8080" }');
  }
  for (const a of list) {
    if (typeof a !== 'string' || !(HOST_PORT_PATTERN.test(a) || /^https?:\/\/[^\s/]+(:\d{1,5})?\/?$/.test(a))) {
      throw new DfsError('InvalidArgument', `coordinator address ${JSON.stringify(a)} is not host:port (e.g. "127.0.0.1:8080") or an http(s) URL`);
    }
  }
  return list as string[];
}

function checkMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new DfsError('InvalidArgument', `${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

function checkWindow(value: number | undefined): number {
  if (value === undefined) return DEFAULT_STREAM_WINDOW;
  if (!Number.isInteger(value) || value < MIN_STREAM_WINDOW || value > MAX_STREAM_WINDOW) {
    throw new DfsError('InvalidArgument', `streamWindow must be a whole number of bytes from ${MIN_STREAM_WINDOW} (64 KiB) to ${MAX_STREAM_WINDOW} (64 MiB), got ${value}`);
  }
  return value;
}
