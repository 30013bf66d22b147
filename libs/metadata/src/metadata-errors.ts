// The metadata stores' errors, built in one place so the three backends word
// them alike; messages say what to do.
import { Code, DfsError, MAX_PATH_BYTES } from '@dfs/proto';

export function fileExistsError(path: string): DfsError {
  return new DfsError(Code.AlreadyExists, `${path} already exists: upload with overwrite to replace it, or pick another path`);
}

export function isDirectoryError(path: string): DfsError {
  return new DfsError(Code.FailedPrecondition, `${path} is a directory (files exist below it): a file cannot take its path`);
}

export function belowFileError(path: string, file: string): DfsError {
  return new DfsError(Code.FailedPrecondition, `${path} is below ${file}, which is a file: a file cannot hold other files`);
}

export function notFoundError(path: string): DfsError {
  return new DfsError(Code.NotFound, `${path} does not exist (no file there and nothing below it)`);
}

export function uploadNotFoundError(uploadId: string): DfsError {
  return new DfsError(Code.NotFound, `upload ${uploadId} does not exist (committed, aborted or expired): start a new upload`);
}

export function committedThenPurgedError(uploadId: string, fileId: string): DfsError {
  return new DfsError(Code.FailedPrecondition, `upload ${uploadId} was committed as file ${fileId}, which has since been deleted: start a new upload`);
}

export function badChunkListError(detail: string): DfsError {
  return new DfsError(Code.InvalidArgument, `bad chunk list: ${detail}; list chunks in index order 0..n-1`);
}

/**
 * A rename that would move `longest` (the source path with the most bytes) to
 * `moved`, over the path limit: refused, since no RPC would accept that path
 * afterwards (not even to rename it back).
 */
export function movedPathTooLongError(from: string, to: string, longest: string, moved: string): DfsError {
  return new DfsError(
    Code.InvalidArgument,
    `cannot move ${from} to ${to}: ${shortened(longest)} would become ${shortened(moved)}, ${Buffer.byteLength(moved, 'utf8')} bytes long (the limit is ${MAX_PATH_BYTES}): pick a shorter target path`,
    { reason: 'BAD_PATH' },
  );
}

/** A path for a message: its start and its end (the part that tells it apart) when it is long. */
function shortened(path: string): string {
  return path.length <= 200 ? path : `${path.slice(0, 60)}…${path.slice(-120)}`;
}
