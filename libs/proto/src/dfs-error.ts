import { Code, ConnectError } from '@connectrpc/connect';

export { Code };

/**
 * Why an operation failed, finer than the Connect code. Sent over the wire in
 * the `dfs-reason` metadata key so both ends agree without parsing messages.
 */
export type DfsErrorReason =
  | 'CHECKSUM_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'CHUNK_TOO_LARGE'
  | 'EMPTY_CHUNK'
  | 'BAD_CHUNK_ID'
  | 'BAD_FRAME'
  | 'BAD_RANGE'
  | 'CORRUPT_CHUNK'
  | 'NOT_ENOUGH_REPLICAS'
  | 'IDLE_TIMEOUT'
  | 'SHUTTING_DOWN'
  | 'DISK_FULL'
  | 'TRUNCATED_STREAM'
  | 'BAD_PATH'
  | 'CONFIG'
  // The local file (or buffer) being uploaded changed meanwhile: nothing is wrong with the request, send it again.
  | 'SOURCE_CHANGED'
  // The remote file being read was replaced, moved or deleted meanwhile: read it again.
  | 'VERSION_GONE';

export const REASON_METADATA_KEY = 'dfs-reason';

/** Codes on which repeating the same call may succeed. */
const RETRYABLE_CODES: ReadonlySet<Code> = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted]);

export interface DfsErrorOptions {
  reason?: DfsErrorReason;
  cause?: unknown;
  /** Overrides the default, which is derived from the code. */
  retryable?: boolean;
}

/**
 * The one error type of DFS. It is a ConnectError, so a handler can throw it
 * as is and the code, message and reason reach the caller over Connect or gRPC.
 * Messages say what went wrong and what to do about it.
 */
export class DfsError extends ConnectError {
  // `name` stays "ConnectError": Connect recognizes its errors by name, and an
  // error it does not recognize reaches the caller as code Unknown.
  readonly isDfsError = true;
  readonly reason: DfsErrorReason | undefined;
  readonly retryable: boolean;

  constructor(code: Code, message: string, options: DfsErrorOptions = {}) {
    const metadata = options.reason ? { [REASON_METADATA_KEY]: options.reason } : undefined;
    super(message, code, metadata, undefined, options.cause);
    this.reason = options.reason;
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
  }

  /**
   * Any thrown value as a DfsError: a DfsError as is, a ConnectError (also one
   * parsed off the wire) with its code and reason, an abort as Canceled, a
   * timeout as DeadlineExceeded, anything else as Unknown.
   */
  static override from(value: unknown, fallback: Code = Code.Unknown): DfsError {
    if (isDfsError(value)) return value;
    if (value instanceof ConnectError) {
      // A refused or reset connection surfaces as Internal/Unknown when the
      // transport could not classify it; the errno in its cause says Unavailable.
      // connect-node maps ECONNRESET to Aborted, which is not retryable: a peer
      // that died mid-stream is Unavailable, and the caller should fail over.
      const transportCodes = [Code.Internal, Code.Unknown, Code.Aborted];
      if (transportCodes.includes(value.code) && nodeErrorCode(value.cause) === Code.Unavailable) {
        return new DfsError(Code.Unavailable, value.rawMessage, { cause: value });
      }
      const reason = value.metadata.get(REASON_METADATA_KEY) ?? undefined;
      return new DfsError(value.code, value.rawMessage, { reason: reason as DfsErrorReason | undefined, cause: value });
    }
    if (value instanceof Error) {
      if (value.name === 'AbortError') return new DfsError(Code.Canceled, 'the operation was canceled', { cause: value });
      if (value.name === 'TimeoutError') return new DfsError(Code.DeadlineExceeded, 'the operation timed out', { cause: value });
      const code = nodeErrorCode(value) ?? fallback;
      return new DfsError(code, value.message, { cause: value });
    }
    return new DfsError(fallback, String(value), { cause: value });
  }
}

/**
 * The error of an RPC as a DfsError. A call that ends Canceled although the
 * caller's own signal never aborted was not canceled by anyone: the peer
 * died or the connection dropped (HTTP/2 reports RST_STREAM CANCEL), so it
 * is Unavailable, and retryable.
 */
export function callError(value: unknown, callerSignal: AbortSignal | undefined): DfsError {
  const error = DfsError.from(value);
  if (error.code === Code.Canceled && !callerSignal?.aborted) {
    return new DfsError(Code.Unavailable, `the connection was lost: ${error.rawMessage}`, { cause: value });
  }
  return error;
}

/** Duck-typed, so two copies of this package still agree. */
export function isDfsError(value: unknown): value is DfsError {
  return value instanceof Error && (value as Partial<DfsError>).isDfsError === true && 'code' in value;
}

/** The reason of any error that carries one (a DfsError, or a ConnectError off the wire). */
export function errorReason(value: unknown): DfsErrorReason | undefined {
  if (isDfsError(value)) return value.reason;
  if (value instanceof ConnectError) return (value.metadata.get(REASON_METADATA_KEY) ?? undefined) as DfsErrorReason | undefined;
  return undefined;
}

// Walks the cause chain by shape, not instanceof: errors from another realm
// (jest's sandbox, a second copy of a package) still carry their errno code.
function nodeErrorCode(err: unknown, depth = 0): Code | undefined {
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  const own = errnoCode((err as { code?: unknown }).code);
  return own ?? nodeErrorCode((err as { cause?: unknown }).cause, depth + 1);
}

function errnoCode(code: unknown): Code | undefined {
  switch (code) {
    case 'ENOENT':
      return Code.NotFound;
    case 'ENOSPC':
    case 'EDQUOT':
      return Code.ResourceExhausted;
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ERR_HTTP2_STREAM_ERROR':
    case 'ERR_HTTP2_SESSION_ERROR':
    case 'ERR_HTTP2_GOAWAY_SESSION':
    case 'ERR_HTTP2_INVALID_SESSION':
      return Code.Unavailable;
    default:
      return undefined;
  }
}
