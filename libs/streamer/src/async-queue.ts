/**
 * A bounded single-consumer queue between a producer task and an async
 * iterator. `push` waits while the queue is full, which is how back-pressure
 * travels from a slow consumer (a replica, the network) to the producer.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private closed = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private readonly wakeProducers: Array<() => void> = [];

  constructor(private readonly capacity = 1) {
    if (capacity < 1) throw new RangeError('AsyncQueue capacity must be at least 1');
  }

  get size(): number {
    return this.items.length;
  }

  get isDone(): boolean {
    return this.closed || this.failure !== undefined;
  }

  /** Waits for room; returns false (dropping the item) once the queue is closed or failed. */
  async push(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.isDone) {
      await new Promise<void>((resolve) => this.wakeProducers.push(resolve));
    }
    if (this.isDone) return false;
    this.items.push(item);
    this.wake();
    return true;
  }

  /** No more items; the consumer drains what is queued, then ends. */
  close(): void {
    this.closed = true;
    this.wake();
    this.releaseProducers();
  }

  /** The consumer throws `error` at its next read; queued items are dropped. */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.items.length = 0;
    this.wake();
    this.releaseProducers();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const item = this.items.shift();
      if (item !== undefined) {
        this.releaseProducers();
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  private releaseProducers(): void {
    for (const wake of this.wakeProducers.splice(0)) wake();
  }
}
