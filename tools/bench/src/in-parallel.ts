/** Runs fn(0) … fn(count - 1) with at most `limit` calls in flight; rejects with the first failure. */
export async function inParallel(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < count; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}
