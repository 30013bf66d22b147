import { Code, DfsError as WireError } from '@dfs/proto';

/** A failed local file operation as an error whose message names `what` was being done. */
export function localFileError(err: unknown, what: string): WireError {
  const code = (err as { code?: unknown }).code;
  const options = { cause: err };
  switch (code) {
    case 'ENOENT':
      return new WireError(Code.NotFound, `${what}: no such file or directory`, options);
    case 'EACCES':
    case 'EPERM':
      return new WireError(Code.PermissionDenied, `${what}: permission denied`, options);
    case 'EISDIR':
      return new WireError(Code.InvalidArgument, `${what}: it is a directory`, options);
    case 'ENOSPC':
    case 'EDQUOT':
      return new WireError(Code.ResourceExhausted, `${what}: the local disk is full`, options);
    default:
      return new WireError(Code.Unknown, `${what}: ${err instanceof Error ? err.message : String(err)}`, options);
  }
}
