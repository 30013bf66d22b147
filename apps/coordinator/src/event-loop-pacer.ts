// The coordinator's long loops (a node's report of a million chunks, a full
// scan, fsck) share one thread with every RPC. Awaiting a store call that
// answers synchronously (the embedded store, through better-sqlite3) only
// queues a microtask, and Node runs every queued microtask before it looks
// at I/O again: without a real yield, heartbeats wait for the whole loop,
// time out, and the node can be declared dead.
import { setImmediate } from 'node:timers/promises';

/**
 * Tells a loop when it has held the thread long enough to step aside:
 * `if (pacer.due()) await pacer.yield();` per item. Time, not a count,
 * decides, because one item may be a map lookup or a store query.
 */
export class EventLoopPacer {
  private since = performance.now();

  /** @param sliceMs how long a loop may run between yields */
  constructor(private readonly sliceMs = 10) {}

  due(): boolean {
    return performance.now() - this.since >= this.sliceMs;
  }

  async yield(): Promise<void> {
    // Lets timers and I/O (heartbeats) run before the loop goes on.
    await setImmediate();
    this.since = performance.now();
  }
}
