/**
 * The exit status of `dfs`, one per kind of failure, so a script can tell a
 * missing file from a cluster that is down without parsing messages.
 * The README and every command's help list them (EXIT_CODES_HELP).
 */
export const ExitCode = {
  Ok: 0,
  /**
   * Anything not listed below, among them local failures no cluster retry fixes (the local disk
   * is full) and a file that changed during the transfer (running the command again may work).
   */
  Error: 1,
  /** Bad command line: unknown flag, missing argument, invalid DFS path or value. */
  Usage: 2,
  /** A remote or local file or directory does not exist. */
  NotFound: 3,
  /** The target exists: pass --overwrite to replace it. */
  AlreadyExists: 4,
  /** The path is the wrong kind for the operation (a directory without -r, a file used as a directory, a local directory where a file would land). */
  WrongKind: 5,
  /** The cluster cannot be reached or has too few live datanodes, or `node drain --wait` timed out; retrying later may work. */
  Unavailable: 6,
  /** Stored data failed its checksum on every replica. */
  DataLoss: 7,
  /** `dfs fsck` found files that are not healthy: under-replicated, missing or corrupt. */
  Unhealthy: 8,
  /** The config file or DFS_COORDINATOR is invalid (sysexits EX_CONFIG, as the servers use). */
  Config: 78,
  /** Interrupted by Ctrl-C (SIGINT): 128 + 2, as shells report it. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit codes as every command's --help lists them (oclif strips leading blanks, so no columns). */
export const EXIT_CODES_HELP = [
  '0 ok',
  '1 any other error (e.g. the local disk is full, or a file changed during the transfer: run the command again)',
  '2 usage error (an unknown flag, a missing argument, an invalid DFS path or value)',
  '3 not found (remote or local)',
  '4 already exists (pass --overwrite)',
  '5 wrong kind (a directory without -r, a file where a directory is needed, a directory where a file would land; remote or local)',
  '6 cluster unavailable (coordinator unreachable, too few datanodes, node drain --wait timed out)',
  '7 data loss (a checksum failed on every replica)',
  '8 unhealthy (fsck found under-replicated, missing or corrupt files)',
  '78 bad configuration (DFS_COORDINATOR or config.yaml)',
  '130 interrupted (Ctrl-C)',
].join('\n');
