import { ExitCode } from './exit-codes.js';

/**
 * A failure the CLI itself detects (a bad argument, a local file that is not
 * there, a directory without -r): its message is printed as is, after "dfs: ",
 * and the process exits with `exitCode`.
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.Error,
  ) {
    super(message);
  }

  static usage(message: string): CliError {
    return new CliError(message, ExitCode.Usage);
  }
}
