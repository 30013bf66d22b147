import type { IncomingMessage } from 'node:http';
import http2 from 'node:http2';
import { createContextKey, createContextValues, type ContextValues } from '@connectrpc/connect';

/**
 * Ends the call's HTTP/2 stream at once with RST_STREAM CANCEL, dropping the
 * replies queued on it. A handler whose client stopped reading can end its
 * own work, but not the stream: Connect waits for the stream to take the
 * reply it has (flow control) before it asks the handler for more, and
 * trailers would queue behind that reply. Only a reset frees the queued
 * bytes and tells the client. Without the adapter hook (in-process use), it
 * does nothing.
 */
export const resetStreamKey = createContextKey<() => void>(() => undefined, { description: 'reset the HTTP stream of this call' });

/** For connectNodeAdapter's contextValues: gives handlers a way to reset their stream. */
export function resetStreamContext(req: IncomingMessage | http2.Http2ServerRequest): ContextValues {
  return createContextValues().set(resetStreamKey, () => {
    if ('stream' in req) {
      if (!req.stream.destroyed) req.stream.close(http2.constants.NGHTTP2_CANCEL);
    } else {
      // HTTP/1.1 has no stream of its own to reset: the connection goes.
      req.destroy();
    }
  });
}
