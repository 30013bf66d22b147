// The metadata stores' errors, built in one place so the three backends word
// them alike; messages say what to do.
import { Code, DfsError } from '@dfs/proto';

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
