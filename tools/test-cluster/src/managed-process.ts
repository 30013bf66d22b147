import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface ManagedProcessOptions {
  /** Shown in errors and log file names, e.g. "datanode-2". */
  name: string;
  /** Script run with this Node binary (ignored when `command` is set). */
  script: string;
  /** Node flags put before the script (ignored when `command` is set). */
  nodeArgs?: readonly string[];
  /** An executable to run instead of Node (e.g. etcd); `args` are its arguments. */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Every stderr/stdout line goes here; named in failures. */
  logFile: string;
  /** Resolves with the value the process is ready with, given each JSON log line; undefined = not yet. */
  readyWhen: (line: Record<string, unknown>) => unknown;
  /** Default 15 000 ms. */
  startTimeoutMs?: number;
}

const live = new Set<ManagedProcess<unknown>>();
let exitHookInstalled = false;

/**
 * A child process a test owns: started, waited for until its log says it is
 * ready, and always stopped — by the test, by stopAllProcesses() in teardown,
 * or at the latest when the test runner's process exits.
 */
export class ManagedProcess<Ready> {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  ready: Ready | undefined;

  constructor(readonly options: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<Ready> {
    if (this.running) throw new Error(`${this.options.name} is already running (pid ${this.pid})`);
    installExitHook();
    this.ready = undefined;
    await mkdir(dirname(this.options.logFile), { recursive: true });
    this.log = createWriteStream(this.options.logFile, { flags: 'a' });
    const { command, script, nodeArgs = [], args = [] } = this.options;
    const child = spawn(command ?? process.execPath, command ? args : [...nodeArgs, script, ...args], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this as ManagedProcess<unknown>);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => live.delete(this as ManagedProcess<unknown>));
    child.stdout!.pipe(this.log, { end: false });
    const lines = createInterface({ input: child.stderr! });
    const ready = new Promise<Ready>((resolve, reject) => {
      lines.on('line', (line) => {
        this.log?.write(line + '\n');
        if (this.ready !== undefined) return;
        try {
          const value = this.options.readyWhen(JSON.parse(line) as Record<string, unknown>);
          if (value !== undefined) resolve(value as Ready);
        } catch {
          // not a JSON line (e.g. a config error message): kept in the log only
        }
      });
      void this.exited!.then(async ({ code, signal }) =>
        reject(new Error(`${this.options.name} exited (code ${code}, signal ${signal}) before it was ready; log ${this.options.logFile}:\n${await this.tail()}`)),
      );
    });
    const timeoutMs = this.options.startTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.options.name} not ready after ${timeoutMs} ms; log ${this.options.logFile}`)), timeoutMs);
    });
    try {
      this.ready = await Promise.race([ready, timeout]);
      return this.ready;
    } catch (err) {
      await this.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` and waits for the exit (SIGSTOP/SIGCONT do not wait). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (!this.child || !this.running) return undefined;
    this.child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return undefined;
    return this.waitForExit();
  }

  /** Graceful stop (SIGTERM), SIGKILL after timeoutMs. */
  async stop(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (!this.running) return undefined;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    try {
      return await this.kill('SIGTERM');
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGSTOP, resolved once the kernel reports the process stopped. */
  async pause(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGSTOP');
    await this.waitForState((state) => state === 'T' || state === 't');
  }

  /** SIGCONT, resolved once the process runs again. */
  async resume(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    await this.waitForState((state) => state !== 'T' && state !== 't');
  }

  /** Signals are delivered asynchronously: poll /proc (Linux) until `ok(state)`, 2 s at most. */
  private async waitForState(ok: (state: string) => boolean): Promise<void> {
    const deadline = Date.now() + 2_000;
    for (;;) {
      const stat = await readFile(`/proc/${this.pid}/stat`, 'utf8').catch(() => undefined);
      // The state follows the parenthesized command name, which may contain spaces.
      const state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === undefined || ok(state)) return;
      if (Date.now() > deadline) throw new Error(`${this.options.name} (pid ${this.pid}) is still in state ${state} after 2 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async restart(): Promise<Ready> {
    await this.stop();
    return this.start();
  }

  async waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const result = await this.exited!;
    await new Promise<void>((resolve) => (this.log ? this.log.end(resolve) : resolve()));
    return result;
  }

  /** Last lines of the log, for failure messages. */
  async tail(lines = 30): Promise<string> {
    const text = await readFile(this.options.logFile, 'utf8').catch(() => '');
    return text.split('\n').slice(-lines - 1).join('\n');
  }
}

/** Kills every process still running, paused ones included. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all(
    [...live].map(async (p) => {
      // A stopped process still dies of SIGKILL; no need to resume it first.
      await p.kill('SIGKILL');
    }),
  );
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort: a crashed test run must not leave servers behind.
  process.once('exit', () => {
    for (const p of live) {
      try {
        process.kill(p.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
