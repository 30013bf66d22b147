import { Command, type Interfaces } from '@oclif/core';
import type { DfsClient, FileInfo } from '@dfs/sdk';
import { globalFlags } from './dfs-flags.js';
import { describeError } from './describe-error.js';
import { fileInfoJson } from './json-shapes.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import { FilesProgress } from './files-progress.js';
import { ProgressBar } from './progress-bar.js';
import { StatusLine } from './status-line.js';
import { resolveCoordinators, type ResolvedCoordinators } from './resolve-coordinators.js';
import { runJobs } from './run-jobs.js';
import { dfsSdk } from './lazy-deps.js';


/** How long a second Ctrl-C waits for the aborted transfers to remove their partial files before exiting anyway. */
const SECOND_SIGINT_GRACE_MS = 2000;

export type DfsFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof DfsCommand)['baseFlags'] & T['flags']>;
export type DfsArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** A command's description with the exit codes appended, so every `--help` lists them. */
export function withExitCodes(description: string): string {
  return `${description}\n\nExit codes:\n${EXIT_CODES_HELP}`;
}

/**
 * What every `dfs` command shares: the global flags, one SDK client (created
 * on first use, closed at the end), output rules (results on stdout, progress
 * and errors on stderr) and the mapping of failures to one line and an exit code.
 */
export abstract class DfsCommand<T extends typeof Command> extends Command {
  static override baseFlags = globalFlags;

  protected flags!: DfsFlags<T>;
  protected args!: DfsArgs<T>;
  /** Every positional argument in order (for commands with a variadic argument). */
  protected positionals: string[] = [];

  private dfs: DfsClient | undefined;
  private resolved: ResolvedCoordinators | undefined;
  private readonly aborter = new AbortController();
  private interrupted = false;
  private onSigint: (() => void) | undefined;
  /** Set by a second Ctrl-C: exits 130 if the aborted transfers have not cleaned up by then. */
  private forceExit: NodeJS.Timeout | undefined;
  /** Set once a write to stdout failed (its reader went away): see {@link stdoutClosed}. */
  private stdoutFailed = false;
  private readonly onStdoutError = (): void => {
    this.stdoutFailed = true;
  };
  /** The progress bar or status line on the terminal, cleared when the command ends. */
  private bar: ProgressBar | StatusLine | undefined;

  override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof DfsCommand & T;
    const parsed = await this.parse({ flags: ctor.flags, baseFlags: ctor.baseFlags, args: ctor.args, strict: ctor.strict });
    this.flags = parsed.flags as DfsFlags<T>;
    this.args = parsed.args as DfsArgs<T>;
    this.positionals = parsed.argv as string[];
    // oclif swallows EPIPE on stdout, so later writes fail silently; this flag lets a long listing notice.
    process.stdout.on('error', this.onStdoutError);
  }

  /**
   * Whether stdout's reader has gone (`dfs ls -r / | head -1`). Node emits
   * 'error' (EPIPE) on stdout without marking it destroyed, so the flag set by
   * that event is what tells; destroyed/writableEnded cover a stream closed
   * some other way. A command printing many results stops early when true.
   */
  protected stdoutClosed(): boolean {
    return this.stdoutFailed || process.stdout.destroyed || process.stdout.writableEnded;
  }

  /** The SDK client, connected to the resolved coordinators (see resolve-coordinators.ts). */
  protected client(): DfsClient {
    if (!this.dfs) {
      this.resolved = resolveCoordinators(this.flags.coordinator);
      // --concurrency is the whole command's budget of chunk transfers (its
      // files, --parallel at a time, share it), not capped by the SDK's defaults.
      const concurrency = (this.flags as { concurrency?: number }).concurrency;
      const slots = concurrency === undefined ? {} : { maxChunkWrites: concurrency, maxChunkReads: concurrency };
      this.dfs = dfsSdk().createDfsClient({ coordinators: this.resolved.addresses, ...slots });
    }
    return this.dfs;
  }

  /**
   * The signal a transfer (or a wait) passes to the SDK: the first Ctrl-C
   * aborts it (the command then exits 130 once the SDK has cleaned up), a
   * second one exits 130 after at most {@link SECOND_SIGINT_GRACE_MS}.
   */
  protected transferSignal(): AbortSignal {
    if (!this.onSigint) {
      this.onSigint = () => {
        if (this.interrupted) {
          // A second Ctrl-C (often the same impatient double press): exiting at once would skip the SDK's
          // cleanup, which is what removes `<name>.dfs-partial-<hex>` (already at full size) and the
          // directories a get -r made. So give the aborted transfers a bounded time to wind down: the
          // command exits 130 through catch() as soon as they have, and this timer (unref'd: it never
          // keeps dfs alive by itself) exits 130 if cleanup hangs. Repeated presses add no timers.
          this.bar?.done();
          this.forceExit ??= setTimeout(() => process.exit(ExitCode.Interrupted), SECOND_SIGINT_GRACE_MS).unref();
          return;
        }
        this.interrupted = true;
        this.bar?.done();
        this.aborter.abort();
      };
      process.on('SIGINT', this.onSigint);
    }
    return this.aborter.signal;
  }

  /**
   * A progress bar on stderr for one transfer, or undefined when none should
   * show: with --quiet or --json, or when stderr (where it is drawn) or
   * stdout (issue 4: "no bar when stdout is not a TTY") is not a terminal.
   */
  protected progressBar(label: string): ProgressBar | undefined {
    const bar = this.showsProgress() ? new ProgressBar({ label, stream: process.stderr }) : undefined;
    this.replaceBar(bar);
    return bar;
  }

  /** A line of progress on stderr that is not bytes (`node drain --wait`), or undefined when none should show (as {@link progressBar}). */
  protected statusLine(): StatusLine | undefined {
    const line = this.showsProgress() ? new StatusLine(process.stderr) : undefined;
    this.replaceBar(line);
    return line;
  }

  /**
   * The files of `put`/`get`, `--parallel` at a time (see run-jobs.ts), each
   * moved by `transfer` and its result printed by `line`. Several files go
   * under one status line; one file keeps its progress bar, labelled by
   * `label` (undefined: no bar).
   */
  protected async transferFiles<J, R>(
    jobs: readonly J[],
    label: (job: J) => string | undefined,
    transfer: (job: J, signal: AbortSignal, onProgress: (p: { loaded: number; total?: number }) => void) => Promise<R>,
    line: (result: R, job: J) => void,
  ): Promise<void> {
    const parallel = (this.flags as { parallel: number }).parallel;
    const several = jobs.length > 1 && parallel > 1;
    const files = several ? new FilesProgress(this.statusLine(), jobs.length) : undefined;
    try {
      await runJobs(
        jobs,
        parallel,
        this.transferSignal(),
        async (job, signal, index) => {
          const name = files ? undefined : label(job);
          const bar = name === undefined ? undefined : this.progressBar(name);
          const result = await transfer(job, signal, (p) => (files ? files.update(index, p.loaded) : bar?.update(p.loaded, p.total)));
          bar?.done();
          files?.fileDone(index);
          return result;
        },
        (result, job) => (files ? files.print(() => line(result, job)) : line(result, job)),
      );
    } finally {
      files?.close();
    }
  }

  private showsProgress(): boolean {
    return !this.flags.quiet && !this.flags.json && Boolean(process.stderr.isTTY) && Boolean(process.stdout.isTTY);
  }

  private replaceBar(bar: ProgressBar | StatusLine | undefined): void {
    this.bar?.done();
    this.bar = bar;
  }

  /** A result line on stdout (always printed: it is what the command is for). */
  protected print(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  /** A value as one JSON line on stdout (for --json). */
  protected printJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A file or directory: its JSON line with --json, else its path ("/" appended to a directory). */
  protected printEntry(entry: FileInfo): void {
    if (this.flags.json) this.printJson(fileInfoJson(entry));
    // The root is "/" already: appending the directory's "/" would print "//".
    else this.print(entry.isDirectory && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path);
  }

  /** A human summary on stdout ("uploaded …"), left out with --quiet. */
  protected summary(line: string): void {
    if (!this.flags.quiet) this.print(line);
  }

  override async catch(err: Error & { exitCode?: number }): Promise<void> {
    this.bar?.done();
    // A reader that went away (`dfs cat f | head`) is not a failure of dfs.
    if (isBrokenPipe(err)) this.exit(ExitCode.Ok);
    const report = describeError(err, {
      coordinators: this.resolved?.addresses ?? [],
      coordinatorSource: this.resolved?.source ?? '--coordinator',
      interrupted: this.interrupted,
    });
    process.stderr.write(`dfs: ${report.message}\n`);
    // oclif's handler exits with this code without printing anything more.
    this.exit(report.exitCode);
  }

  override async finally(err: Error | undefined): Promise<void> {
    this.bar?.done();
    if (this.onSigint) process.off('SIGINT', this.onSigint);
    process.stdout.off('error', this.onStdoutError);
    // The outcome is decided by now; a failure to close the connections changes nothing for the user.
    await this.dfs?.close().catch(() => undefined);
    // Cleanup finished in time: the command's own exit (130 from catch) stands.
    clearTimeout(this.forceExit);
    await super.finally(err);
  }
}

function isBrokenPipe(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') return true;
  }
  return false;
}
