/**
 * What the next heartbeat must tell the coordinator (chunks removed, chunks
 * found corrupt, copy outcomes). A heartbeat takes a batch and, if the call
 * fails, puts it back in front: nothing is dropped, and the order holds.
 */
export class PendingReports<T> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    this.items.push(item);
  }

  /** Up to `max` of the oldest, removed from the queue. */
  take(max: number): T[] {
    return this.items.splice(0, max);
  }

  /** Returns a batch whose heartbeat failed, ahead of anything added since. */
  putBack(batch: T[]): void {
    if (batch.length > 0) this.items = batch.concat(this.items);
  }
}
