import { mapBounded } from './map-bounded.js';

async function* count(n: number, pulled: number[]) {
  for (let i = 0; i < n; i++) {
    pulled.push(i);
    yield i;
  }
}

describe('mapBounded', () => {
  it('yields results in source order with at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const out: number[] = [];
    for await (const r of mapBounded(count(20, []), 3, async (i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((res) => setTimeout(res, (20 - i) % 4));
      inFlight--;
      return i * 2;
    })) {
      out.push(r);
    }
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(peak).toBe(3);
  });

  it('pulls from the source only as results are consumed', async () => {
    const pulled: number[] = [];
    const it = mapBounded(count(1000, pulled), 4, async (i) => i);
    await it.next();
    expect(pulled.length).toBeLessThanOrEqual(5);
    await it.return(undefined);
  });

  it('propagates a failure of fn in order, after the earlier results', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const r of mapBounded(count(10, []), 4, async (i) => {
        if (i === 5) throw new Error('boom');
        return i;
      })) {
        seen.push(r);
      }
    };
    await expect(run()).rejects.toThrow('boom');
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });
});
