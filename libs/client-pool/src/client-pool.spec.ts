import { Code, DatanodeService, DfsError } from '@dfs/proto';
import { createClientPool, DEFAULT_HTTP2_WINDOWS, exponentialBackoff, noRetry, type ClientPool } from './index.js';
import { closedAddress, eventually, startHealthServer, type HealthServer } from './test/start-health-server.js';

const fast = exponentialBackoff({ baseMs: 5, maxMs: 20, jitter: 'none' });

let servers: HealthServer[] = [];
let pools: ClientPool[] = [];

async function server(...args: Parameters<typeof startHealthServer>): Promise<HealthServer> {
  const started = await startHealthServer(...args);
  servers.push(started);
  return started;
}

function pool(...args: Parameters<typeof createClientPool>): ClientPool {
  const created = createClientPool(...args);
  pools.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
  pools = [];
  servers = [];
});

const healthy = (nodeId: string) => async () => ({ nodeId, status: 'serving' });

describe('ClientPool over real sockets', () => {
  it.each(['grpc', 'connect'] as const)('calls a service over the %s protocol', async (protocol) => {
    const node = await server(healthy('dn-1'));
    const clients = pool({ protocol });
    const response = await clients.client(DatanodeService, node.address).health({});
    expect(response.nodeId).toBe('dn-1');
    expect(response.status).toBe('serving');
    const viaCall = await clients.call(DatanodeService, [node.address], (client) => client.health({}));
    expect(viaCall.nodeId).toBe('dn-1');
  });

  it('fails over to the next address when one refuses connections', async () => {
    const dead = await closedAddress();
    const node = await server(healthy('dn-2'));
    const visited: string[] = [];
    const response = await pool({ policy: fast }).call(DatanodeService, [dead, node.address], (client, address, attempt) => {
      visited.push(`${attempt}:${address}`);
      return client.health({});
    });
    expect(response.nodeId).toBe('dn-2');
    expect(visited).toEqual([`1:${dead}`, `2:${node.address}`]);
  });

  it('retries Unavailable with backoff until the call succeeds', async () => {
    let failures = 2;
    const node = await server(async () => {
      if (failures-- > 0) throw new DfsError(Code.Unavailable, 'warming up');
      return { nodeId: 'dn-3' };
    });
    const started = Date.now();
    const attempts: number[] = [];
    const response = await pool({ policy: fast }).call(DatanodeService, [node.address], (client, _address, attempt) => {
      attempts.push(attempt);
      return client.health({});
    });
    expect(response.nodeId).toBe('dn-3');
    expect(attempts).toEqual([1, 2, 3]);
    expect(node.calls).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 + 10 - 2); // two waits: 5 ms, then 10 ms
  });

  it.each([
    [Code.InvalidArgument, undefined],
    [Code.NotFound, 'BAD_CHUNK_ID' as const],
    [Code.DataLoss, 'CHECKSUM_MISMATCH' as const],
    [Code.FailedPrecondition, undefined],
  ])('never retries code %s', async (code, reason) => {
    const node = await server(async () => {
      throw new DfsError(code, 'no', { reason });
    });
    const other = await server(healthy('never'));
    const error = await pool({ policy: fast })
      .call(DatanodeService, [node.address, other.address], (client) => client.health({}))
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DfsError);
    expect((error as DfsError).code).toBe(code);
    expect((error as DfsError).reason).toBe(reason);
    expect(node.calls).toBe(1);
    expect(other.calls).toBe(0);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const node = await server(async () => {
      throw new DfsError(Code.Unavailable, `overloaded, call ${node.calls}`);
    });
    const policy = exponentialBackoff({ baseMs: 1, maxAttempts: 3, jitter: 'none' });
    const error = await pool().call(DatanodeService, [node.address], (client) => client.health({}), { policy }).catch((err: unknown) => err);
    expect((error as DfsError).code).toBe(Code.Unavailable);
    expect((error as DfsError).rawMessage).toBe('overloaded, call 3');
    expect(node.calls).toBe(3);
  });

  it('does not retry with noRetry', async () => {
    const node = await server(async () => {
      throw new DfsError(Code.Unavailable, 'down');
    });
    await expect(pool({ policy: noRetry }).call(DatanodeService, [node.address], (c) => c.health({}))).rejects.toMatchObject({
      code: Code.Unavailable,
    });
    expect(node.calls).toBe(1);
  });

  it('ends with Canceled as soon as the signal aborts during a backoff wait', async () => {
    const node = await server(async () => {
      throw new DfsError(Code.Unavailable, 'down');
    });
    // A 10 min backoff, far past the jest timeout (5 s): a call that sat out
    // the wait instead of ending on the abort fails the test by timing out.
    const backoff = exponentialBackoff({ baseMs: 600_000, maxMs: 600_000, jitter: 'none' });
    let waiting = false;
    const slow = { nextDelayMs: (error: DfsError, attempt: number) => ((waiting = true), backoff.nextDelayMs(error, attempt)) };
    const controller = new AbortController();
    const pending = pool({ policy: slow }).call(DatanodeService, [node.address], (c) => c.health({}, { signal: controller.signal }), {
      signal: controller.signal,
    });
    // Aborted once the first call has failed and the wait has begun, not
    // while that call is still in flight (its own abort would end it then).
    await eventually(() => waiting);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: Code.Canceled });
    expect(node.calls).toBe(1);
  });

  it('does not start a call whose signal already aborted, and needs an address', async () => {
    const clients = pool();
    const fn = jest.fn();
    await expect(clients.call(DatanodeService, ['127.0.0.1:1'], fn, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: Code.Canceled,
    });
    expect(fn).not.toHaveBeenCalled();
    await expect(clients.call(DatanodeService, [], fn)).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it('applies the default per-call timeout', async () => {
    const node = await server(
      (context) =>
        new Promise((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true })),
    );
    await expect(pool({ timeoutMs: 50, policy: noRetry }).call(DatanodeService, [node.address], (c) => c.health({}))).rejects.toMatchObject({
      code: Code.DeadlineExceeded,
    });
  });

  describe('a call marked idempotent: false (a delete, a rename)', () => {
    const hang = (context: { signal: AbortSignal }) =>
      new Promise<never>((_resolve, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason), { once: true }));
    const threeAttempts = exponentialBackoff({ baseMs: 1, maxAttempts: 3, jitter: 'none' });

    // Each ran on the server: repeating it could undo another client's write, or report its success as NotFound.
    const ranOnServer: Array<[string, (node: () => HealthServer) => Parameters<typeof startHealthServer>[0], Code]> = [
      ['DeadlineExceeded', () => hang, Code.DeadlineExceeded],
      [
        'Unavailable from the server',
        () => async () => {
          throw new DfsError(Code.Unavailable, 'busy');
        },
        Code.Unavailable,
      ],
      [
        'a connection lost after the request was sent',
        (node) => async () => {
          for (const session of node().sessions) session.destroy();
          return new Promise<never>(() => undefined);
        },
        Code.Unavailable,
      ],
    ];

    it.each(ranOnServer)('is not retried after %s, while an idempotent one is', async (_what, handler, code) => {
      const node: HealthServer = await server(handler(() => node));
      const clients = pool({ timeoutMs: 100, policy: threeAttempts });
      const once = (idempotent?: boolean) =>
        clients.call(DatanodeService, [node.address], (c) => c.health({}), { idempotent }).catch((err: unknown) => err as DfsError);
      expect(await once(false)).toMatchObject({ code });
      expect(node.calls).toBe(1);
      expect(await once(undefined)).toMatchObject({ code });
      expect(node.calls).toBe(1 + 3);
      expect(await once(true)).toMatchObject({ code });
      expect(node.calls).toBe(1 + 3 + 3);
    });

    it('is retried, on the next address, when the connection was refused', async () => {
      const dead = await closedAddress();
      const node = await server(healthy('dn-4'));
      const visited: string[] = [];
      const response = await pool({ policy: fast }).call(
        DatanodeService,
        [dead, node.address],
        (client, address) => {
          visited.push(address);
          return client.health({});
        },
        { idempotent: false },
      );
      expect(response.nodeId).toBe('dn-4');
      expect(visited).toEqual([dead, node.address]);
    });
  });

  it('starts each call at the next address, spreading load', async () => {
    const a = await server(healthy('a'));
    const b = await server(healthy('b'));
    const clients = pool();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push((await clients.call(DatanodeService, [a.address, b.address], (c) => c.health({}))).nodeId);
    expect(seen).toEqual(['a', 'b', 'a', 'b']);
  });

  it('caches one client per service and address', async () => {
    const clients = pool();
    const client = clients.client(DatanodeService, '127.0.0.1:7001');
    expect(clients.client(DatanodeService, '127.0.0.1:7001')).toBe(client);
    expect(clients.client(DatanodeService, 'http://127.0.0.1:7001/')).toBe(client);
    expect(clients.client(DatanodeService, '127.0.0.1:7002')).not.toBe(client);
    for (const bad of ['', 'ftp://x:1', 'http://', 'a b:1', 'host:1?x=1']) {
      expect(() => clients.client(DatanodeService, bad)).toThrow(expect.objectContaining({ code: Code.InvalidArgument }));
    }
  });

  it('raises the HTTP/2 windows on both ends', async () => {
    const node = await server(healthy('dn'));
    await pool().call(DatanodeService, [node.address], (c) => c.health({}));
    const [session] = node.sessions;
    // What the client announced, as the server sees it.
    expect(session.remoteSettings.initialWindowSize).toBe(DEFAULT_HTTP2_WINDOWS.initialWindowSize);
    await eventually(() => (session.state.remoteWindowSize ?? 0) > 16 * 1024 * 1024);
    // What the server announced and allows itself.
    expect(session.localSettings.initialWindowSize).toBe(DEFAULT_HTTP2_WINDOWS.initialWindowSize);
    expect(session.state.localWindowSize).toBeGreaterThan(16 * 1024 * 1024);
  });

  it('close() closes every session, and the pool refuses work afterwards', async () => {
    const a = await server(healthy('a'));
    const b = await server(healthy('b'));
    const clients = pool({ protocol: 'connect' });
    await clients.client(DatanodeService, a.address).health({});
    await clients.client(DatanodeService, b.address).health({});
    expect(a.sessions.size + b.sessions.size).toBe(2);
    await clients.close();
    await eventually(() => a.sessions.size + b.sessions.size === 0);
    expect(() => clients.client(DatanodeService, a.address)).toThrow(expect.objectContaining({ code: Code.FailedPrecondition }));
    await expect(clients.call(DatanodeService, [a.address], (c) => c.health({}))).rejects.toMatchObject({ code: Code.FailedPrecondition });
    await clients.close();
  });
});
