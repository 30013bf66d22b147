import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('paces takes to the rate, starting empty', async () => {
    const bucket = new TokenBucket(1_000_000, 0); // 1 MB/s
    const started = performance.now();
    for (let i = 0; i < 5; i++) await bucket.take(100_000);
    // 500 KB at 1 MB/s: never sooner than 500 ms (a loaded machine is only slower).
    expect(performance.now() - started).toBeGreaterThanOrEqual(495);
  });

  it('saves up at most `burst` while idle', async () => {
    let clock = 0;
    const bucket = new TokenBucket(1000, 100, () => clock);
    // Whether a take waits, told without timing it: aborted right after the
    // call, a take rejects only if it was waiting (one that owed nothing has
    // already resolved). The injected clock stands still meanwhile.
    const waits = async (n: number) => {
      const ac = new AbortController();
      const take = bucket.take(n, ac.signal);
      ac.abort();
      return take.then(
        () => false,
        (err: unknown) => {
          if ((err as Error).name !== 'AbortError') throw err;
          return true;
        },
      );
    };
    clock += 60_000; // a minute idle would be 60,000 tokens without the cap
    expect(await waits(100)).toBe(false); // the saved burst
    expect(await waits(50)).toBe(true); // nothing left: 50 tokens in debt
    // At 1000/s the debt of 50 is paid off after 50 ms, not sooner.
    clock += 49;
    expect(await waits(0)).toBe(true);
    clock += 1;
    expect(await waits(0)).toBe(false);
  });

  it('rejects a waiting take when the signal aborts, and refuses one on an aborted signal', async () => {
    const bucket = new TokenBucket(1, 0); // one token a second: this take would wait ~17 min
    const ac = new AbortController();
    const waiting = bucket.take(1000, ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(bucket.take(1, ac.signal)).rejects.toBeDefined();
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(Number.NaN, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, -1)).toThrow(RangeError);
  });
});
