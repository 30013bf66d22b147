import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream';

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
  /**
   * A start that fails with a log (of that start) `when` accepts is tried
   * again, `delayMs` later, up to `attempts` starts in all: e.g. a restart on
   * a fixed port another process holds for a moment.
   */
  retryStart?: { when: (log: string) => boolean; attempts: number; delayMs: number };
}

/** Whether a log says the process could not listen because its address was taken (Node's EADDRINUSE, etcd's bind error). */
export function addressInUse(log: string): boolean {
  return /EADDRINUSE|address already in use/.test(log);
}

/** How long the pipes of an exited child may stay open (a grandchild holding them) before they are closed on our side. */
const PIPE_GRACE_MS = 10_000;

const live = new Set<ManagedProcess<unknown>>();
let exitHookInstalled = false;

/**
 * A child process a test owns: started, waited for until its log says it is
 * ready, and always stopped — by the test, by stopAllProcesses() in teardown,
 * or at the latest when the test runner's process exits.
 */
export class ManagedProcess<Ready> {
  private child: ChildProcess | undefined;
  /** Where this start's output begins in the log file (it is appended to across restarts). */
  private logOffset = 0;
  private logError: Error | undefined;
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
    const retry = this.options.retryStart;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (err) {
        if (!retry || attempt >= retry.attempts || !retry.when(await this.startLog())) throw err;
        await new Promise((resolve) => setTimeout(resolve, retry.delayMs));
      }
    }
  }

  private async startOnce(): Promise<Ready> {
    if (this.running) throw new Error(`${this.options.name} is already running (pid ${this.pid})`);
    installExitHook();
    this.ready = undefined;
    // The previous run's last output goes to the file before this one's.
    await this.exited;
    await mkdir(dirname(this.options.logFile), { recursive: true });
    this.logOffset = await stat(this.options.logFile).then((s) => s.size, () => 0);
    this.logError = undefined;
    const log = createWriteStream(this.options.logFile, { flags: 'a' });
    // Without a listener a failed write (disk full, a bad path) would be an
    // uncaught exception that ends the test run; the failure is named by tail().
    log.on('error', (err) => (this.logError ??= err));
    const { command, script, nodeArgs = [], args = [] } = this.options;
    const child = spawn(command ?? process.execPath, command ? args : [...nodeArgs, script, ...args], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(this as ManagedProcess<unknown>);
    // 'close', not 'exit': the exit can be reported while the last lines are
    // still in the pipes. Once both pipes are drained into the log, the log
    // is ended and flushed, so a test reading it after stop() sees them all.
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        log.end();
        finished(log, () => resolve({ code, signal }));
      }),
    );
    child.once('exit', () => {
      // A grandchild that inherited the pipes could keep them open, and 'close' from coming, for ever.
      const timer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, PIPE_GRACE_MS).unref();
      child.once('close', () => clearTimeout(timer));
    });
    void this.exited.then(() => live.delete(this as ManagedProcess<unknown>));
    child.stdout!.pipe(log, { end: false });
    const lines = createInterface({ input: child.stderr! });
    const ready = new Promise<Ready>((resolve, reject) => {
      lines.on('line', (line) => {
        log.write(line + '\n');
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

  /** Sends `signal` and waits for the exit and the log (SIGSTOP/SIGCONT do not wait); undefined when it was not running. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (!this.child) return undefined;
    if (!this.running) {
      // Exited on its own: its last output may still be on the way to the log.
      await this.exited;
      return undefined;
    }
    this.child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return undefined;
    return this.waitForExit();
  }

  /** Graceful stop (SIGTERM), SIGKILL after timeoutMs. */
  async stop(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    if (!this.running) {
      // Exited on its own (or never started): wait for its output to reach the log.
      await this.exited;
      return undefined;
    }
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

  /** Resolves once the process exited and all its output is in the log file. */
  async waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exited) throw new Error(`${this.options.name} was never started`);
    return this.exited;
  }

  /** What the latest start wrote to the log so far. */
  async startLog(): Promise<string> {
    const bytes = await readFile(this.options.logFile).catch(() => Buffer.alloc(0));
    return bytes.subarray(this.logOffset).toString('utf8');
  }

  /** Last lines of the log, for failure messages. */
  async tail(lines = 30): Promise<string> {
    const text = await readFile(this.options.logFile, 'utf8').catch(() => '');
    const failed = this.logError ? `\n(writing the log failed: ${this.logError.message})` : '';
    return text.split('\n').slice(-lines - 1).join('\n') + failed;
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
      // Exited but not yet closed: its pid may already belong to another process.
      if (!p.running) continue;
      try {
        process.kill(p.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}
