import { Code, DfsError } from '@dfs/proto';

/**
 * Thrown by {@link loadConfig} when the configuration cannot be used. It lists
 * every problem at once, one per line, each naming where the bad value came
 * from (an environment variable, or a YAML file and line) and what is expected,
 * so an operator fixes everything in one pass instead of one restart per typo.
 */
export class ConfigError extends DfsError {
  /** The problems, one sentence each, in the order they were found. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options: { cause?: unknown } = {}) {
    super(Code.InvalidArgument, formatProblems(problems), { reason: 'CONFIG', cause: options.cause });
    this.problems = [...problems];
  }
}

function formatProblems(problems: readonly string[]): string {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return `invalid configuration (${count}):\n${problems.map((p) => `  ${p}`).join('\n')}`;
}
