import { Code, DfsError as WireError } from '@dfs/proto';

/**
 * What kind of failure a {@link DfsError} is: the gRPC/Connect status code
 * names. The ones a DFS client meets in practice:
 *
 * - `NotFound`: the path (or the local source file) does not exist.
 * - `AlreadyExists`: the path exists; pass `overwrite: true` to replace it.
 * - `InvalidArgument`: a bad path, size, range or option; fix the call.
 * - `FailedPrecondition`: the namespace does not allow it right now (a file
 *   where a directory is needed, too few live datanodes for the replication),
 *   or the file changed under the operation (replaced, moved or deleted while
 *   it was being read: read it again).
 * - `Unavailable` / `DeadlineExceeded` / `ResourceExhausted`: transient
 *   (a node or coordinator down, slow or full); `retryable` is true.
 * - `DataLoss`: stored bytes failed their checksum, or are gone, on every replica.
 * - `Canceled`: the caller's `AbortSignal` fired.
 */
export type DfsErrorCode =
  | 'Canceled'
  | 'Unknown'
  | 'InvalidArgument'
  | 'DeadlineExceeded'
  | 'NotFound'
  | 'AlreadyExists'
  | 'PermissionDenied'
  | 'ResourceExhausted'
  | 'FailedPrecondition'
  | 'Aborted'
  | 'OutOfRange'
  | 'Unimplemented'
  | 'Internal'
  | 'Unavailable'
  | 'DataLoss'
  | 'Unauthenticated';

/** Options of the {@link DfsError} constructor. */
export interface DfsErrorOptions {
  /** Finer cause than the code, as sent by DFS servers, e.g. `CHECKSUM_MISMATCH`, `BAD_PATH`. Default: none. */
  reason?: string;
  /** Whether repeating the same operation may succeed. Default: true for Unavailable, DeadlineExceeded and ResourceExhausted. */
  retryable?: boolean;
  /** The underlying error. Default: none. */
  cause?: unknown;
}

const RETRYABLE: ReadonlySet<DfsErrorCode> = new Set(['Unavailable', 'DeadlineExceeded', 'ResourceExhausted']);

/**
 * The one error every `@dfs/sdk` operation rejects with (or emits, for
 * streams). `message` says what went wrong and what to do; `code` says what
 * kind of failure it is; `cause` holds the underlying error (a Connect or
 * Node.js error). Test for it with {@link isDfsError}, which also recognizes
 * errors from another copy of this package.
 */
export class DfsError extends Error {
  override readonly name = 'DfsError';
  readonly code: DfsErrorCode;
  readonly reason: string | undefined;
  readonly retryable: boolean;

  constructor(code: DfsErrorCode, message: string, options: DfsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
  }

  /**
   * Any thrown value as a DfsError: a DfsError as it is; an error from the
   * wire (Connect/gRPC) or from Node.js (ENOENT, ECONNREFUSED, an abort) with
   * its code, reason and message, the original kept as `cause`.
   */
  static from(value: unknown): DfsError {
    if (isDfsError(value)) return value;
    // By name: an AbortSignal's reason may be a DOMException of another realm.
    const name = (value as { name?: unknown } | null)?.name;
    if (name === 'AbortError') return new DfsError('Canceled', 'the operation was canceled', { cause: value });
    if (name === 'TimeoutError') return new DfsError('DeadlineExceeded', 'the operation timed out (its signal fired)', { cause: value, retryable: false });
    const wire = WireError.from(value);
    const code = (Code[wire.code] ?? 'Unknown') as DfsErrorCode;
    return new DfsError(code, wire.rawMessage, { reason: wire.reason, retryable: wire.retryable, cause: value });
  }
}

/** True for a {@link DfsError}, also one from another copy of `@dfs/sdk` (checked by shape, not `instanceof`). */
export function isDfsError(value: unknown): value is DfsError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { name?: unknown; code?: unknown; message?: unknown };
  return v.name === 'DfsError' && typeof v.code === 'string' && typeof v.message === 'string';
}
