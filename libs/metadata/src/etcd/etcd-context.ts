// What the etcd store's parts share: the KV layer, limits, and the
// compare-and-swap retry loop every write goes through.
import { randomBytes } from 'node:crypto';
import { Code, DfsError } from '@dfs/proto';
import type { EtcdKv } from './etcd-kv.js';
import type { TreeJob } from './etcd-tree-job.js';

export interface EtcdContext {
  readonly kv: EtcdKv;
  /** etcd's --max-txn-ops (default 128): no transaction here has more operations or compares. */
  readonly maxTxnOps: number;
  /** Tree jobs this process is running, by job id (etcd-tree-job.ts): concurrent helpers share one run. */
  readonly treeJobs: Map<string, Promise<void>>;
  /** For tests: runs before each batch of a tree job; a throw stops the job there, as a crash would. */
  readonly beforeTreeBatch?: (job: TreeJob, batch: number) => void | Promise<void>;
  /** Lease for committed-upload markers (about 24 h). */
  committedLease(): Promise<string>;
}

const MAX_ATTEMPTS = 100;

/**
 * Runs `attempt` until it returns a value (its compare-and-swap succeeded) or
 * throws; `undefined` means "the compare failed: read again and retry". No
 * lock is ever held, so a crashed coordinator cannot block the others.
 */
export async function retryCas<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
    // Jittered backoff so racing coordinators do not collide in lockstep.
    await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * (i + 1))));
  }
  throw new DfsError(Code.Aborted, `${what} lost ${MAX_ATTEMPTS} compare-and-swap races in a row (heavy contention on the same paths): retry later`);
}

/** Runs `tasks` with at most `concurrency` in flight. */
export async function runLimited(tasks: (() => Promise<unknown>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}

/** The random tail of a GC key (several entries may share a millisecond). */
export function gcSuffix(): string {
  return randomBytes(8).toString('hex');
}
