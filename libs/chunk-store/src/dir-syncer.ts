import { fsyncDir } from './file-io.js';

/** One directory's fsyncs: the one running, and the one that will run after it. */
interface DirState {
  running: Promise<void>;
  next: Promise<void> | undefined;
}

/**
 * Group commit of directory fsyncs. A caller has made its change (a rename,
 * an unlink, a mkdir) before it calls sync(dir); it is answered by an fsync
 * of `dir` that started after that call, so the change is durable when the
 * promise resolves. Concurrent callers of one directory share that fsync:
 * - none running: one starts now, and the caller gets it;
 * - one running: it may have started before the caller's change, so the
 *   caller waits for the next one, which starts when the running one ends
 *   and is shared by everyone who asked in the meantime.
 * An fsync that fails rejects every caller it was meant to cover.
 */
export class DirSyncer {
  private readonly dirs = new Map<string, DirState>();
  /** fsyncs started, for tests and diagnostics. */
  private started = 0;

  constructor(private readonly fsync: (dir: string) => Promise<void> = fsyncDir) {}

  /** Resolves once an fsync of `dir` that started after this call has succeeded. */
  sync(dir: string): Promise<void> {
    const state = this.dirs.get(dir);
    if (!state) {
      const created: DirState = { running: Promise.resolve(), next: undefined };
      created.running = this.run(dir, created);
      this.dirs.set(dir, created);
      return created.running;
    }
    if (!state.next) {
      // Starts when the running one ends, whatever its outcome: its failure was its own callers'.
      const next = state.running.then(
        () => undefined,
        () => undefined,
      );
      state.next = next.then(() => {
        state.next = undefined;
        state.running = this.run(dir, state);
        return state.running;
      });
    }
    return state.next;
  }

  /** fsyncs started so far. */
  get fsyncs(): number {
    return this.started;
  }

  private async run(dir: string, state: DirState): Promise<void> {
    this.started++;
    try {
      await this.fsync(dir);
    } finally {
      // Nobody waits for another one: forget the directory (the map holds only busy ones).
      if (!state.next && this.dirs.get(dir) === state) this.dirs.delete(dir);
    }
  }
}
