import { Code, DfsError } from '@dfs/proto';

/**
 * Node error codes that mean the connection was never made, so the request
 * cannot have reached the server and trying another address is always safe.
 */
const CONNECT_FAILURES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Any failure of a call as a DfsError, with connection failures marked
 * Unavailable (retryable). connect-node already does that, but it looks for
 * them with `instanceof Error`, which fails for errors from another realm
 * (jest runs tests in a vm context; bundlers may load a second copy), and the
 * error then surfaces as Internal. Walking the `cause` chain by shape keeps
 * failover working wherever the error was made.
 */
export function toCallError(err: unknown): DfsError {
  const error = DfsError.from(err);
  // Only errors nobody classified: a server's NotFound stays NotFound.
  if (error.code !== Code.Internal && error.code !== Code.Unknown) return error;
  const errno = causeCodes(err).find((code) => CONNECT_FAILURES.has(code));
  if (errno === undefined) return error;
  return new DfsError(Code.Unavailable, error.rawMessage, { reason: error.reason, cause: err });
}

/** The string `code`s along an error's cause chain (Node errno codes such as ECONNREFUSED). */
function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  for (let current = err; typeof current === 'object' && current !== null && !seen.has(current); ) {
    seen.add(current);
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') codes.push(code);
    current = cause;
  }
  return codes;
}
