// The errors of the chunk store, built in one place so codes, reasons and
// wording agree across writer, reader and store.
import { Code, DfsError, MAX_CHUNK_SIZE, isChunkId, isDfsError } from '@dfs/proto';

/** Throws InvalidArgument BAD_CHUNK_ID unless `chunkId` is 32 lowercase hex; called before any path is built. */
export function assertChunkId(chunkId: unknown): asserts chunkId is string {
  if (!isChunkId(chunkId)) {
    const shown = typeof chunkId === 'string' ? JSON.stringify(chunkId.slice(0, 80)) : typeof chunkId;
    throw new DfsError(Code.InvalidArgument, `bad chunk id ${shown}: a chunk id is 32 lowercase hex characters`, {
      reason: 'BAD_CHUNK_ID',
    });
  }
}

/** Throws unless `size` is a valid declared chunk size (1 B..64 MiB). */
export function assertChunkSize(size: unknown, what: string): asserts size is number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw new DfsError(Code.InvalidArgument, `${what} must be a whole number of bytes, got ${String(size)}`);
  }
  if (size === 0) {
    throw new DfsError(Code.InvalidArgument, `${what} is 0: a chunk holds 1 byte to 64 MiB; do not send empty chunks`, {
      reason: 'EMPTY_CHUNK',
    });
  }
  if (size > MAX_CHUNK_SIZE) {
    throw new DfsError(Code.InvalidArgument, `${what} ${size} exceeds the 64 MiB chunk limit (${MAX_CHUNK_SIZE} bytes): split the data into more chunks`, {
      reason: 'CHUNK_TOO_LARGE',
    });
  }
}

/** Throws unless `sha256` is a 32-byte digest. */
export function assertSha256(sha256: unknown, what: string): asserts sha256 is Uint8Array {
  if (!(sha256 instanceof Uint8Array) || sha256.length !== 32) {
    throw new DfsError(Code.InvalidArgument, `${what} must be a 32-byte SHA-256 chunk checksum`);
  }
}

export function shuttingDownError(dir: string): DfsError {
  return new DfsError(Code.Unavailable, `chunk store ${dir} is closed (shutting down): retry on another replica`, {
    reason: 'SHUTTING_DOWN',
  });
}

export function canceledError(what: string): DfsError {
  return new DfsError(Code.Canceled, `${what} was canceled`);
}

/** A chunk that failed verification; by the time this is thrown it is in quarantine. */
export function corruptChunkError(chunkId: string, detail: string): DfsError {
  return new DfsError(
    Code.DataLoss,
    `chunk ${chunkId} is corrupt on this node (${detail}); it was quarantined: read it from another replica`,
    { reason: 'CORRUPT_CHUNK' },
  );
}

/**
 * A filesystem error as a DfsError: a full disk is ResourceExhausted DISK_FULL
 * (retryable elsewhere), a missing file NotFound, anything else Internal with
 * the OS message. DfsErrors pass through.
 */
export function toStoreError(err: unknown, what: string): DfsError {
  if (isDfsError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DfsError(Code.ResourceExhausted, `${what}: the disk is full (${message}); free space or write to another node`, {
      reason: 'DISK_FULL',
      cause: err,
    });
  }
  if (code === 'ENOENT') return new DfsError(Code.NotFound, `${what}: ${message}`, { cause: err });
  if (err instanceof Error && err.name === 'AbortError') return new DfsError(Code.Canceled, `${what} was canceled`, { cause: err });
  return new DfsError(Code.Internal, `${what}: I/O error (${message}); check the disk and the node's logs`, { cause: err });
}

/** A chunk this node does not serve (absent, quarantined or condemned): the client goes to the next replica. */
export function notStoredError(chunkId: string): DfsError {
  return new DfsError(Code.NotFound, `chunk ${chunkId} is not stored on this node: read it from another replica`);
}

/**
 * errno codes that say the medium could not deliver the bytes (a bad
 * sector, a filesystem that found its own metadata damaged: EFSCORRUPTED is
 * EUCLEAN, EFSBADCRC is EBADMSG), unlike EMFILE, ENOMEM or EAGAIN, which say
 * only that this node was short of something for a moment.
 */
const MEDIA_ERRORS: ReadonlySet<string> = new Set(['EIO', 'EUCLEAN', 'EBADMSG']);

/** True if `err`, or an error it wraps (toStoreError keeps the OS error as cause), is a media error. */
export function isMediaError(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && MEDIA_ERRORS.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** True for "no such file or directory". */
export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
