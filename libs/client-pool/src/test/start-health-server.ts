import * as http2 from 'node:http2';
import { createServer } from 'node:net';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { DatanodeService, type HealthResponseSchema } from '@dfs/proto';
import { tuneHttp2Server } from '../index.js';

type HealthHandler = (context: HandlerContext) => Promise<MessageInitShape<typeof HealthResponseSchema>>;

/** A DatanodeService that implements only Health, on 127.0.0.1 and an ephemeral port. */
export interface HealthServer {
  address: string;
  server: http2.Http2Server;
  /** Sessions accepted and not yet closed. */
  readonly sessions: ReadonlySet<http2.ServerHttp2Session>;
  /** How many times Health was called. */
  readonly calls: number;
  close(): Promise<void>;
}

export async function startHealthServer(health: HealthHandler, options: { tune?: boolean } = {}): Promise<HealthServer> {
  const sessions = new Set<http2.ServerHttp2Session>();
  let calls = 0;
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(DatanodeService, {
        health: (_request, context) => {
          calls++;
          return health(context);
        },
      }),
  });
  const server = http2.createServer(handler);
  if (options.tune !== false) tuneHttp2Server(server);
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    server,
    sessions,
    get calls() {
      return calls;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An address on which nothing listens: a port the OS just handed out and took back. */
export async function closedAddress(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

/** Resolves when `check` holds, polling; rejects after `timeoutMs`. */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
