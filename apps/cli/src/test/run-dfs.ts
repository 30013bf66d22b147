import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The built binary, as users run it. */
export const DFS_BIN = join(__dirname, '..', '..', 'bin', 'run.js');

export interface DfsRun {
  /** Exit code; null when a signal ended it. */
  code: number | null;
  stdout: Buffer;
  /** stdout as UTF-8. */
  text: string;
  stderr: string;
}

export interface RunDfsOptions {
  /** Extra environment, e.g. DFS_COORDINATOR, HOME, XDG_CONFIG_HOME. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin, which is then closed (default: empty stdin). */
  input?: Buffer | string;
}

const live = new Set<ChildProcess>();
// A guard against a hung child holding the suite, not an assertion on speed.
const HANG_GUARD_MS = 60_000;

/** Starts `node bin/run.js ...args` (see spawnTracked). */
export function spawnDfs(args: string[], options: Omit<RunDfsOptions, 'input'> = {}): ChildProcess {
  return spawnTracked(process.execPath, [DFS_BIN, ...args], options);
}

/**
 * Starts a command with the caller's environment less every DFS_ and XDG_
 * variable (so a developer's own settings never leak into a test) and less
 * NODE_OPTIONS (jest's), plus `options.env`. Tracked for killAllDfs().
 */
export function spawnTracked(command: string, args: string[], options: Omit<RunDfsOptions, 'input'> = {}): ChildProcess {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('DFS_') && !key.startsWith('XDG_') && key !== 'NODE_OPTIONS') env[key] = value;
  }
  const child = spawn(command, args, { cwd: options.cwd, env: { ...env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs `dfs ...args` to the end and collects what it printed. */
export function runDfs(args: string[], options: RunDfsOptions = {}): Promise<DfsRun> {
  const child = spawnDfs(args, options);
  const done = collect(child);
  child.stdin!.end(options.input ?? '');
  return done;
}

/** Waits for a spawned dfs to exit, with its output; its stdin is the caller's to write and close. */
export function collect(child: ChildProcess): Promise<DfsRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  // A child that exits before reading all of its stdin is not an error here.
  child.stdin!.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dfs ${child.spawnargs.slice(2).join(' ')} still running after ${HANG_GUARD_MS} ms; stderr: ${Buffer.concat(err).toString()}`));
    }, HANG_GUARD_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(guard);
      const stdout = Buffer.concat(out);
      resolve({ code, stdout, text: stdout.toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Kills every dfs child still running (for afterAll, also after a failed test). */
export async function killAllDfs(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parses --json output: one object per line. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
