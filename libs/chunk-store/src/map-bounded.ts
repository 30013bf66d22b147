/**
 * Maps an async stream with at most `limit` calls of `fn` in flight, yielding
 * results in source order. Pulls from the source only as results are consumed,
 * so memory stays bounded by `limit` however long the source is (a walk of
 * millions of chunk files).
 */
export async function* mapBounded<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const it = source[Symbol.asyncIterator]();
  const pending: Promise<R>[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < limit) {
        const next = await it.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const p = fn(next.value);
        // Awaited in order below; until then, keep a failure from being reported as unhandled.
        p.catch(() => undefined);
        pending.push(p);
      }
      const head = pending.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    // Settle what is in flight before returning, so callers never race leftover work.
    await Promise.allSettled(pending);
    if (!exhausted) await it.return?.();
  }
}
