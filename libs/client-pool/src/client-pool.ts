import { HTTP2_MAX_SESSION_MEMORY_MB } from './tune-http2-server.js';
import type { DescService } from '@bufbuild/protobuf';
import { createClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { Code, DfsError, MAX_FRAME_SIZE, callError } from '@dfs/proto';
import { abortError, abortableSleep } from './abortable-sleep.js';
import { exponentialBackoff } from './exponential-backoff.js';
import { neverSent } from './never-sent.js';
import type { RetryPolicy } from './retry-policy.js';
import { DEFAULT_HTTP2_WINDOWS, type Http2Windows } from './tune-http2-server.js';
import { TunedSessionManager } from './tuned-session-manager.js';

/** How a {@link ClientPool} talks to its endpoints. */
export interface ClientPoolOptions {
  /** Wire protocol. Both run over the same HTTP/2 session. Default: `grpc`. */
  protocol: 'grpc' | 'connect';
  /** Retry policy of {@link ClientPool.call}. Default: `exponentialBackoff()`. */
  policy: RetryPolicy;
  /**
   * Timeout of each RPC that sets none itself. Default: 30 000 ms. 0 means no
   * default deadline (for pools that carry long chunk streams, which are
   * bounded by idle timeouts instead).
   */
  timeoutMs: number;
  /**
   * Largest message received / sent. Default: 4 MiB + 64 KiB, the largest
   * chunk frame (MAX_FRAME_SIZE) plus room for the fields around its data.
   */
  readMaxBytes: number;
  /** See readMaxBytes. Default: 4 MiB + 64 KiB. */
  writeMaxBytes: number;
  /** HTTP/2 receive windows. Default: 8 MiB per stream, 32 MiB per connection (see {@link Http2Windows}). */
  http2: Http2Windows;
  /** An HTTP/2 session with no open stream for this long is closed. Default: 60 000 ms. */
  idleConnectionTimeoutMs: number;
}

/** What {@link createClientPool} takes: any subset of the options, http2 windows included. */
export type ClientPoolInit = Partial<Omit<ClientPoolOptions, 'http2'>> & { http2?: Partial<Http2Windows> };

/** Per-call options of {@link ClientPool.call}. */
export interface PoolCallOptions {
  /** Aborts the call, including a wait between attempts. Pass it to the RPC inside `fn` too. */
  signal?: AbortSignal;
  /** Overrides the pool's retry policy for this call. */
  policy?: RetryPolicy;
  /**
   * False for a call that must not run twice, such as a delete or a rename:
   * after a timeout or a lost connection it may have run, or still be
   * running, on the server, and a second run could report its success as
   * NotFound or undo another client's write. Such a call is retried only
   * when the request never reached a server (the connection was refused or
   * the name did not resolve). Default: true.
   */
  idempotent?: boolean;
}

/**
 * Connect clients for DFS endpoints, one HTTP/2 session per address, and the
 * one place where calls are retried and failed over.
 */
export interface ClientPool {
  /**
   * The cached Connect client of `service` at `address` ("host:port" or an
   * http(s) URL). All services at one address share one HTTP/2 session.
   * @throws DfsError InvalidArgument for a malformed address, FailedPrecondition after close().
   */
  client<S extends DescService>(service: S, address: string): Client<S>;
  /**
   * Runs `fn` against `addresses`. After a retryable failure (Unavailable,
   * DeadlineExceeded, ResourceExhausted) it waits as the policy says and tries
   * the next address; other errors (InvalidArgument, NotFound, DataLoss, ...)
   * are thrown at once. A call marked `idempotent: false` is retried only when
   * it never reached a server. Each call starts at the next address of a rotating
   * index, so load spreads across replicas.
   * @throws DfsError: the last error when the policy gives up, Canceled (or
   *   DeadlineExceeded for a timeout signal) when `signal` aborts.
   */
  call<S extends DescService, T>(
    service: S,
    addresses: readonly string[],
    fn: (client: Client<S>, address: string, attempt: number) => Promise<T>,
    options?: PoolCallOptions,
  ): Promise<T>;
  /** Closes every session, aborting calls in flight, and waits until they are closed. Clients handed out must not be used afterwards. */
  close(): Promise<void>;
}

interface Endpoint {
  manager: TunedSessionManager;
  transport: Transport;
  clients: Map<string, Client<DescService>>;
}

/** Creates a pool of Connect clients; see {@link ClientPoolOptions} for the defaults. */
export function createClientPool(init: ClientPoolInit = {}): ClientPool {
  const options = resolveOptions(init);
  const endpoints = new Map<string, Endpoint>();
  let rotation = 0;
  let closed = false;

  function endpointFor(address: string): Endpoint {
    if (closed) throw new DfsError(Code.FailedPrecondition, 'the client pool is closed');
    const baseUrl = toBaseUrl(address);
    let endpoint = endpoints.get(baseUrl);
    if (!endpoint) {
      const manager = new TunedSessionManager(
        baseUrl,
        { idleConnectionTimeoutMs: options.idleConnectionTimeoutMs },
        // nghttp2 refuses new streams (ENHANCE_YOUR_CALM) once a session holds
        // more than maxSessionMemory MB, queued outbound data included; the
        // 10 MB default trips with a few concurrent chunk streams.
        { settings: { initialWindowSize: options.http2.initialWindowSize }, maxSessionMemory: HTTP2_MAX_SESSION_MEMORY_MB },
        options.http2.connectionWindowSize,
      );
      const common = {
        baseUrl,
        sessionManager: manager,
        readMaxBytes: options.readMaxBytes,
        writeMaxBytes: options.writeMaxBytes,
        defaultTimeoutMs: options.timeoutMs > 0 ? options.timeoutMs : undefined,
        // Ask no server to compress: DFS runs on a LAN, where CPU, not bandwidth,
        // limits throughput, and chunk bytes rarely compress.
        acceptCompression: [],
      };
      const transport =
        options.protocol === 'grpc' ? createGrpcTransport(common) : createConnectTransport({ ...common, httpVersion: '2' });
      endpoint = { manager, transport, clients: new Map() };
      endpoints.set(baseUrl, endpoint);
    }
    return endpoint;
  }

  function client<S extends DescService>(service: S, address: string): Client<S> {
    const endpoint = endpointFor(address);
    let cached = endpoint.clients.get(service.typeName);
    if (!cached) {
      cached = createClient(service, endpoint.transport) as Client<DescService>;
      endpoint.clients.set(service.typeName, cached);
    }
    return cached as Client<S>;
  }

  async function call<S extends DescService, T>(
    service: S,
    addresses: readonly string[],
    fn: (client: Client<S>, address: string, attempt: number) => Promise<T>,
    callOptions: PoolCallOptions = {},
  ): Promise<T> {
    if (addresses.length === 0) {
      throw new DfsError(Code.InvalidArgument, `no address to call ${service.typeName} on`);
    }
    const policy = callOptions.policy ?? options.policy;
    const signal = callOptions.signal;
    const start = rotation;
    rotation = (rotation + 1) % Number.MAX_SAFE_INTEGER;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortError(signal);
      const address = addresses[(start + attempt - 1) % addresses.length];
      let error: DfsError;
      let thrown: unknown;
      try {
        return await fn(client(service, address), address, attempt);
      } catch (err) {
        thrown = err;
        error = callError(err, signal);
      }
      // Checked here as well as in the policy: a custom policy must not be
      // able to repeat a call that failed for a reason that will not go away.
      if (!error.retryable) throw error;
      // Nor one that may have run already, unless running it again is harmless.
      if (callOptions.idempotent === false && !neverSent(thrown)) throw error;
      const delayMs = policy.nextDelayMs(error, attempt);
      if (delayMs === undefined) throw error;
      await abortableSleep(delayMs, signal);
    }
  }

  async function close(): Promise<void> {
    closed = true;
    const all = [...endpoints.values()];
    endpoints.clear();
    await Promise.all(all.map((endpoint) => endpoint.manager.close()));
  }

  return { client, call, close };
}

function resolveOptions(init: ClientPoolInit): ClientPoolOptions {
  const protocol = init.protocol ?? 'grpc';
  if (protocol !== 'grpc' && protocol !== 'connect') {
    throw new DfsError(Code.InvalidArgument, `unknown protocol "${String(protocol)}": expected grpc or connect`);
  }
  return {
    protocol,
    policy: init.policy ?? exponentialBackoff(),
    timeoutMs: init.timeoutMs ?? 30_000,
    readMaxBytes: init.readMaxBytes ?? MAX_FRAME_SIZE + 64 * 1024,
    writeMaxBytes: init.writeMaxBytes ?? MAX_FRAME_SIZE + 64 * 1024,
    http2: { ...DEFAULT_HTTP2_WINDOWS, ...init.http2 },
    idleConnectionTimeoutMs: init.idleConnectionTimeoutMs ?? 60_000,
  };
}

/** "host:port" → "http://host:port"; http(s) URLs as they are, without a trailing slash. */
function toBaseUrl(address: string): string {
  const text = address.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    url = new URL('invalid:');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || url.search || url.hash) {
    throw new DfsError(Code.InvalidArgument, `invalid address "${address}": expected host:port or an http(s) URL`);
  }
  return url.href.replace(/\/+$/, '');
}
