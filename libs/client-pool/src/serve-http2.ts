import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { HTTP2_SERVER_OPTIONS, tuneHttp2Server, type Http2Windows } from './tune-http2-server.js';

export interface Http2Listener {
  readonly server: http2.Http2Server;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /**
   * Stops accepting connections, runs `drain` (finish or cancel in-flight
   * work), then closes every session (GOAWAY), destroying those still open
   * after 2 s. Resolves when the server is fully closed.
   */
  close(drain?: () => Promise<void>): Promise<void>;
}

/**
 * Serves a Connect handler on h2c with the DFS HTTP/2 tuning (raised windows,
 * session memory), tracking sessions so close() does not wait on idle
 * clients forever — server.close() alone would.
 */
export async function serveHttp2(
  handler: (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  options: { host: string; port: number; windows?: Partial<Http2Windows> },
): Promise<Http2Listener> {
  const server = tuneHttp2Server(http2.createServer({ ...HTTP2_SERVER_OPTIONS }, handler), options.windows);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close(drain) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await drain?.();
      for (const s of sessions) s.close();
      const forced = setTimeout(() => sessions.forEach((s) => s.destroy()), 2_000);
      await closed;
      clearTimeout(forced);
    },
  };
}
