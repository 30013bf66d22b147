import type * as http2 from 'node:http2';

/**
 * HTTP/2 flow-control windows. Node's default is 64 KiB for both, which caps
 * a stream at one window per round trip: measured here, chunk uploads ran at
 * about 200 MB/s with the defaults and about 500 MB/s (2.5x) with 8 MiB per
 * stream and 32 MiB per connection (TOOLCHAIN.md, section 4). Both ends
 * must raise them, each for the data it receives.
 */
export interface Http2Windows {
  /** Per-stream receive window, sent in SETTINGS. Default: 8 MiB. */
  initialWindowSize: number;
  /** Receive window of the whole connection, shared by its streams. Default: 32 MiB. */
  connectionWindowSize: number;
}

/** The windows DFS clients and servers use unless told otherwise. */
export const DEFAULT_HTTP2_WINDOWS: Readonly<Http2Windows> = Object.freeze({
  initialWindowSize: 8 * 1024 * 1024,
  connectionWindowSize: 32 * 1024 * 1024,
});

/**
 * nghttp2's per-session memory cap, in MB (Node's default is 10). It is a
 * ceiling, not an allocation: past it, new streams are refused with
 * ENHANCE_YOUR_CALM, which a few concurrent 1 MiB-frame streams reach.
 */
export const HTTP2_MAX_SESSION_MEMORY_MB = 256;

/** Options for `http2.createServer` / `createSecureServer` that go with {@link tuneHttp2Server}. */
export const HTTP2_SERVER_OPTIONS: Readonly<{ maxSessionMemory: number }> = Object.freeze({ maxSessionMemory: HTTP2_MAX_SESSION_MEMORY_MB });

/**
 * Raises the receive windows of an HTTP/2 server (h2c or TLS) for every
 * session it accepts from now on: the per-stream window through the server's
 * SETTINGS, the connection window with `setLocalWindowSize()` (not a SETTINGS
 * value, so it can only be set per session). Call it before `listen()`.
 * Returns the server.
 */
export function tuneHttp2Server<S extends http2.Http2Server | http2.Http2SecureServer>(server: S, windows: Partial<Http2Windows> = {}): S {
  const { initialWindowSize, connectionWindowSize } = { ...DEFAULT_HTTP2_WINDOWS, ...windows };
  server.updateSettings({ initialWindowSize });
  (server as http2.Http2Server).on('session', (session: http2.ServerHttp2Session) => {
    setConnectionWindow(session, connectionWindowSize);
  });
  return server;
}

/**
 * Raises a session's connection receive window. A session that is already
 * gone throws; it has nothing left to receive, so that is ignored.
 */
export function setConnectionWindow(session: http2.Http2Session, size: number): void {
  if (session.destroyed || session.closed) return;
  try {
    session.setLocalWindowSize(size);
  } catch {
    // Destroyed between the check and the call: see above.
  }
}
