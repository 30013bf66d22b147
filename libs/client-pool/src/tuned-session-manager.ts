import type * as http2 from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';
import { Http2SessionManager, type Http2SessionOptions } from '@connectrpc/connect-node';
import { setConnectionWindow } from './tune-http2-server.js';

/**
 * connect-node's session manager, plus two things it lacks: it raises each
 * new session's connection window, and it can close and wait for its
 * sessions. connect-node opens sessions with a module-private call to
 * `http2.connect()`, so the first place a session is reachable is the stream
 * of its first request (`stream.session`); the WINDOW_UPDATE goes out with
 * that request, before the peer can have filled the default 64 KiB.
 * Patching `http2.connect` instead would change every HTTP/2 client in the
 * process.
 */
export class TunedSessionManager extends Http2SessionManager {
  readonly #connectionWindowSize: number;
  readonly #sessions = new Set<http2.ClientHttp2Session>();

  constructor(
    url: string,
    sessionOptions: Http2SessionOptions,
    nodeOptions: http2.ClientSessionOptions | http2.SecureClientSessionOptions,
    connectionWindowSize: number,
  ) {
    super(url, sessionOptions, nodeOptions);
    this.#connectionWindowSize = connectionWindowSize;
  }

  override async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, 'signal'>,
  ): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(method, path, headers, options);
    const session = stream.session as http2.ClientHttp2Session | undefined;
    if (session && !this.#sessions.has(session) && !session.destroyed) {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
      setConnectionWindow(session, this.#connectionWindowSize);
    }
    return stream;
  }

  /** Sessions this manager opened that have not closed yet. */
  get openSessions(): number {
    return this.#sessions.size;
  }

  /** Closes the connection (aborting its open streams) and waits until every session is closed. */
  async close(): Promise<void> {
    // Listen before aborting: destroy() is synchronous, 'close' follows on a later tick.
    const closed = [...this.#sessions].map((session) => new Promise<void>((resolve) => session.once('close', () => resolve())));
    this.abort(new ConnectError('the client pool was closed', Code.Canceled));
    await Promise.all(closed);
  }
}
