import { join } from 'node:path';

/** What a command printed and how it ended, run in-process (for unit tests with a fake SDK client). */
export interface CommandResult {
  stdout: string;
  stderr: string;
  /** The exit code it asked for (oclif's ExitError); 0 when it returned normally. */
  exitCode: number;
}

const CLI_ROOT = join(__dirname, '..', '..');

/**
 * Runs an oclif command class with `argv`, capturing stdout and stderr.
 * oclif loads its config with a dynamic import(), so jest runs with
 * NODE_OPTIONS=--experimental-vm-modules (see project.json).
 */
export async function runCommand(command: { run(argv: string[], opts: string): Promise<unknown> }, argv: string[]): Promise<CommandResult> {
  const out: string[] = [];
  const err: string[] = [];
  const capture = (into: string[]) => (chunk: unknown, ...rest: unknown[]) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  let exitCode = 0;
  try {
    await command.run(argv, CLI_ROOT);
  } catch (e) {
    const exit = (e as { oclif?: { exit?: number } }).oclif?.exit;
    if (exit === undefined) throw e;
    exitCode = exit;
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    // oclif may leave process.exitCode set after a failure, which would fail the jest run.
    process.exitCode = 0;
  }
  return { stdout: out.join(''), stderr: err.join(''), exitCode };
}
