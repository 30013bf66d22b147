import type * as DfsConfig from '@dfs/config';
import { Errors } from '@oclif/core';
import type { DfsError, DfsErrorCode } from '@dfs/sdk';
import { CliError } from './cli-error.js';
import { ExitCode } from './exit-codes.js';
import { dfsConfig, dfsSdk } from './lazy-deps.js';


/** What `dfs` knows when a command fails, to say more than the error alone. */
export interface ErrorContext {
  /** The coordinator addresses in use, to recognise "cannot connect" to them. */
  coordinators: readonly string[];
  /** Where they came from ("--coordinator", "DFS_COORDINATOR", a file, "the default"). */
  coordinatorSource: string;
  /** True once Ctrl-C was pressed: whatever failed afterwards failed because of it. */
  interrupted: boolean;
}

/** The one line printed after "dfs: " and the exit status, for any thrown value. */
export interface ErrorReport {
  message: string;
  exitCode: ExitCode;
}

const BY_CODE: Readonly<Partial<Record<DfsErrorCode, ExitCode>>> = {
  NotFound: ExitCode.NotFound,
  AlreadyExists: ExitCode.AlreadyExists,
  InvalidArgument: ExitCode.Usage,
  OutOfRange: ExitCode.Usage,
  FailedPrecondition: ExitCode.WrongKind,
  Unavailable: ExitCode.Unavailable,
  DeadlineExceeded: ExitCode.Unavailable,
  ResourceExhausted: ExitCode.Unavailable,
  DataLoss: ExitCode.DataLoss,
};

const BY_ERRNO: Readonly<Record<string, ExitCode>> = {
  ENOENT: ExitCode.NotFound,
  EEXIST: ExitCode.AlreadyExists,
  EISDIR: ExitCode.WrongKind,
  ENOTDIR: ExitCode.WrongKind,
  ENOTEMPTY: ExitCode.WrongKind,
};

// Errors that mean "nothing answered at that address", as Node reports them.
const CONNECT_ERRNOS = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);

/** Maps a failure to the message and exit code of `dfs` (see exit-codes.ts). */
export function describeError(err: unknown, context: ErrorContext): ErrorReport {
  if (context.interrupted) return { message: 'interrupted', exitCode: ExitCode.Interrupted };
  if (err instanceof CliError) return { message: oneLine(err.message), exitCode: err.exitCode };
  // Before isDfsError: a ConfigError is a DfsError too, but its fix is in a file, not the cluster.
  if (isConfigError(err)) return { message: `invalid configuration: ${err.problems.join('; ')}`, exitCode: ExitCode.Config };
  // Before the SDK's code: the SDK wraps a local disk's failure (local-file-error.ts) in a code meant for the
  // cluster (ENOSPC → ResourceExhausted, "retry later"; EISDIR → InvalidArgument, "usage"), but the errno it keeps as cause says what happened.
  const local = err instanceof Error ? describeLocalError(err) : undefined;
  if (local) return local;
  if (isSdkError(err)) return describeDfsError(err, context);
  // oclif rethrows a flag's own parse error (e.g. Flags.integer's) with "Parsing --flag" put in front.
  if (err instanceof Errors.CLIError || (err instanceof Error && err.message.startsWith('Parsing --'))) {
    return { message: usageMessage(err), exitCode: ExitCode.Usage };
  }
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof Error && typeof errno === 'string' && errno in BY_ERRNO) {
    return { message: errnoMessage(err as NodeJS.ErrnoException), exitCode: BY_ERRNO[errno]! };
  }
  return { message: oneLine(err instanceof Error ? err.message : String(err)), exitCode: ExitCode.Error };
}

/** A ConfigError always has its own `problems`; anything without them is not one, and needs no @dfs/config to tell. */
function isConfigError(err: unknown): err is DfsConfig.ConfigError {
  if (!(err instanceof Error) || !Object.hasOwn(err, 'problems')) return false;
  return err instanceof dfsConfig().ConfigError;
}

/** The SDK's isDfsError, asked only about errors named "DfsError" (which it requires of every DfsError). */
function isSdkError(err: unknown): err is DfsError {
  if ((err as { name?: unknown } | null | undefined)?.name !== 'DfsError') return false;
  return dfsSdk().isDfsError(err);
}

/**
 * A local file system's failure, found by its errno anywhere in the cause chain:
 * a full disk is exit 1 (not 6: no cluster retry frees the disk), something of
 * the wrong kind in the way is exit 5, with a message saying what it is.
 */
function describeLocalError(err: Error): ErrorReport | undefined {
  for (const e of causeChain(err)) {
    // rename(2) reports the source as `path` and the target as `dest`; the target is what is in the way.
    const { code, syscall, path, dest } = e as NodeJS.ErrnoException & { dest?: string };
    const message = err === e ? errnoMessage(e) : oneLine(err.message);
    if (code === 'ENOSPC' || code === 'EDQUOT') return { message: /disk is full/.test(message) ? message : `${message} (the local disk is full)`, exitCode: ExitCode.Error };
    if (code === 'EISDIR') return { message: `${message} (${dest ?? path ?? 'the local path'} is a directory, in the way of the file)`, exitCode: ExitCode.WrongKind };
    if (code === 'ENOTDIR') return { message: `${message} (a local file is in the way where a directory is needed)`, exitCode: ExitCode.WrongKind };
    // mkdir -p fails EEXIST when a file has the name of a directory it must make; not an "already exists, pass --overwrite".
    if (code === 'EEXIST' && syscall === 'mkdir') return { message: `${path ?? message}: a local file is in the way where a directory is needed`, exitCode: ExitCode.WrongKind };
  }
  return undefined;
}

/** A file changed under the transfer (the local source, or the remote file read): nothing wrong with the command; running it again may work. */
const CHANGED_MEANWHILE: ReadonlySet<string | undefined> = new Set(['SOURCE_CHANGED', 'VERSION_GONE']);

function describeDfsError(err: DfsError, context: ErrorContext): ErrorReport {
  // The SDK speaks of its `overwrite` option; here it is a flag.
  const message = oneLine(err.message).replace(/\bpass overwrite\b/, 'pass --overwrite');
  // FailedPrecondition means "wrong kind" (5) except when a file changed under the transfer: that is exit 1, and worth running again.
  if (err.code === 'FailedPrecondition' && CHANGED_MEANWHILE.has(err.reason)) {
    const advice = /\bagain\b/.test(message) ? '' : ': run the command again';
    return { message: `${message}${advice}`, exitCode: ExitCode.Error };
  }
  const exitCode = BY_CODE[err.code] ?? ExitCode.Error;
  if (exitCode === ExitCode.Unavailable) {
    const unreachable = unreachableCoordinator(err, context.coordinators);
    if (unreachable !== undefined) {
      return {
        message: `cannot reach the coordinator at ${unreachable} (${message}): check that it is running and that ${context.coordinatorSource} names it`,
        exitCode,
      };
    }
  }
  return { message, exitCode };
}

/**
 * The coordinator address that a connection failure names, if it is one:
 * Node's socket errors carry the address and port they dialled; failing
 * that, a message that names a coordinator address counts.
 */
function unreachableCoordinator(err: Error, coordinators: readonly string[]): string | undefined {
  // A status the server sent (fsck before every datanode has reported, too few datanodes) means the coordinator answered.
  if ([...causeChain(err)].some(sentByServer)) return undefined;
  for (const e of causeChain(err)) {
    const { code, address, port } = e as NodeJS.ErrnoException & { address?: string; port?: number };
    if (typeof code === 'string' && CONNECT_ERRNOS.has(code)) {
      const dialled = coordinators.find((c) => c === `${address}:${port}` || (port !== undefined && c.endsWith(`:${port}`)));
      if (dialled) return dialled;
    }
    const named = coordinators.find((c) => e.message.includes(c));
    if (named) return named;
  }
  return coordinators.length === 1 && /coordinator/i.test(err.message) ? coordinators[0] : undefined;
}

/** A Connect error decoded from a response carries the gRPC status among the metadata it came with. */
function sentByServer(e: Error): boolean {
  const metadata = (e as { metadata?: unknown }).metadata;
  return metadata instanceof Headers && metadata.has('grpc-status');
}

function* causeChain(err: Error): Generator<Error> {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 8; depth++) {
    yield e;
    e = e.cause;
  }
}

/** oclif's parse errors span lines ("Missing 1 required arg:\nremote ...\nSee more help with --help"). */
function usageMessage(err: Error): string {
  // RequiredArgsError lists each missing argument with its description; the names are what the user needs.
  const missing = (err as { args?: { name?: string }[] }).args;
  if (err.message.startsWith('Missing') && Array.isArray(missing)) {
    return `missing argument${missing.length === 1 ? '' : 's'}: ${missing.map((a) => `<${a.name}>`).join(' ')} (see --help)`;
  }
  const lines = err.message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('See more help'));
  return `${lines.join(' ').replace(/^Parsing (--\S+) /, '$1: ').replace(/:$/, '')} (see --help)`;
}

/** "ENOENT: no such file or directory, open 'x'" → "x: no such file or directory". */
function errnoMessage(err: NodeJS.ErrnoException): string {
  const what = err.message.replace(/^E[A-Z]+: /, '').split(',')[0];
  return err.path ? `${err.path}: ${what}` : what;
}

function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('; ');
}
