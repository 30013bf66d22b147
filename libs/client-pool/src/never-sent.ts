/**
 * True when `err` (an RPC's error as thrown, before any wrapping) shows that
 * the request never reached a server: the connection could not be made, so
 * nothing was written to it. A refused connection reaches us from
 * connect-node as Unavailable caused by a Node error with code ECONNREFUSED
 * and syscall "connect"; a name that did not resolve, by getaddrinfo's
 * ENOTFOUND / EAI_AGAIN. Other failures (a deadline, a connection dropped or
 * reset, Unavailable from the server) may come after the server ran the call.
 * Decided by errno codes and syscalls found on the cause chain, never by
 * messages; by shape, so errors of another realm (jest's sandbox) count too.
 */
export function neverSent(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const { code, syscall, cause, errors } = err as { code?: unknown; syscall?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && NOT_CONNECTED_CODES.has(code)) return true;
  // Any failure of connect() itself (e.g. EHOSTUNREACH, a connect timeout) happened before a byte was sent.
  if (syscall === 'connect' || syscall === 'getaddrinfo') return true;
  // Node's happy-eyeballs connect fails with an AggregateError of one error per address.
  if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => neverSent(e, depth + 1))) return true;
  return neverSent(cause, depth + 1);
}

const NOT_CONNECTED_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
