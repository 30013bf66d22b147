import { Code, DfsError } from '@dfs/proto';

export interface InFlightOp {
  /** Aborted when shutdown gives up waiting for this operation (or, with a request signal, when that aborts). */
  readonly signal: AbortSignal;
  /** Ends the operation once: runs its cleanups; resolves when they have settled. */
  end(): Promise<void>;
  /** Runs `cleanup` when the operation ends (at once if it has ended). */
  onEnd(cleanup: () => unknown): void;
}

/**
 * The operations a datanode has in progress, so that shutdown can refuse new
 * writes, give running ones a grace period to finish, and then cancel the
 * rest (their temp files are removed by the writers' abort paths).
 */
export class InFlight {
  private readonly ops = new Set<AbortController>();
  private draining = false;
  private emptied: (() => void) | undefined;

  get size(): number {
    return this.ops.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * Starts an operation. With `requestSignal` (the RPC's), the op's signal
   * also aborts with it and the op ends on either abort: Connect may leave a
   * handler generator suspended at a yield for good once its client went
   * away, so its finally would never run; its cleanups run here instead.
   */
  begin(what: string, requestSignal?: AbortSignal): InFlightOp {
    if (this.draining) {
      throw new DfsError(Code.Unavailable, `this datanode is shutting down and takes no new ${what}s: use another replica`, { reason: 'SHUTTING_DOWN' });
    }
    const controller = new AbortController();
    this.ops.add(controller);
    const signal = requestSignal ? AbortSignal.any([requestSignal, controller.signal]) : controller.signal;
    const cleanups: Array<() => unknown> = [];
    let ended: Promise<void> | undefined;
    const end = (): Promise<void> => {
      if (ended) return ended;
      signal.removeEventListener('abort', onAbort);
      this.ops.delete(controller);
      if (this.ops.size === 0) this.emptied?.();
      ended = Promise.allSettled(cleanups.splice(0).map((c) => c())).then(() => undefined);
      return ended;
    };
    const onAbort = () => void end();
    if (requestSignal) signal.addEventListener('abort', onAbort, { once: true });
    return {
      signal,
      end,
      onEnd: (cleanup) => {
        if (ended) void Promise.resolve(cleanup()).catch(() => undefined);
        else cleanups.push(cleanup);
      },
    };
  }

  /** Refuses new operations, waits up to graceMs for running ones, then cancels them and waits for them to unwind. */
  async drain(graceMs: number): Promise<{ finished: boolean; canceled: number }> {
    this.draining = true;
    if (await this.waitEmpty(graceMs)) return { finished: true, canceled: 0 };
    const canceled = this.ops.size;
    const reason = new DfsError(Code.Unavailable, 'the datanode shut down before the operation finished: retry on another node', { reason: 'SHUTTING_DOWN' });
    for (const c of this.ops) c.abort(reason);
    await this.waitEmpty(5_000);
    return { finished: false, canceled };
  }

  private waitEmpty(ms: number): Promise<boolean> {
    if (this.ops.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.emptied = undefined;
        resolve(false);
      }, ms);
      this.emptied = () => {
        clearTimeout(timer);
        this.emptied = undefined;
        resolve(true);
      };
    });
  }
}
