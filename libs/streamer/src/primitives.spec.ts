import { randomBytes } from 'node:crypto';
import { Code } from '@dfs/proto';
import { AckWindow } from './ack-window.js';
import { ByteBudget } from './byte-budget.js';
import { AsyncQueue } from './async-queue.js';
import { frameBytes } from './frame-bytes.js';
import { withIdleTimeout } from './with-idle-timeout.js';

async function* pieces(data: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let pos = 0;
  for (let i = 0; pos < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield data.subarray(pos, pos + n);
    pos += n;
  }
}

/** Lets every pending promise reaction run (the primitives below wait on nothing else). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('frameBytes', () => {
  it.each([
    [[1], 'byte by byte'],
    [[70_000, 3, 200_000], 'uneven pieces'],
    [[65_536], 'aligned pieces'],
  ])('re-slices %s into full frames (%s)', async (sizes) => {
    const data = randomBytes(300_001);
    const frames = await collect(frameBytes(pieces(data, sizes as number[]), 65_536));
    expect(frames.slice(0, -1).every((f) => f.length === 65_536)).toBe(true);
    expect(frames.at(-1)!.length).toBe(300_001 % 65_536);
    // Frames are kept by the test after later ones were produced: none may be reused.
    expect(Buffer.concat(frames).equals(data)).toBe(true);
  });

  it('rejects frame sizes outside the protocol limits', async () => {
    await expect(collect(frameBytes(pieces(new Uint8Array(10), [10]), 5 * 1024 * 1024))).rejects.toThrow(/frame size/);
    await expect(collect(frameBytes(pieces(new Uint8Array(10), [10]), 10))).rejects.toThrow(/frame size/);
  });
});

describe('AsyncQueue', () => {
  it('makes the producer wait while full and drains in order after close', async () => {
    const q = new AsyncQueue<number>(2);
    await q.push(1);
    await q.push(2);
    let third = false;
    const p = q.push(3).then(() => (third = true));
    // Every reaction run (nothing here waits on I/O or a timer): 3 is still not in.
    await settle();
    expect(q.size).toBe(2);
    expect(third).toBe(false);
    const it = q[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(1);
    await p;
    expect(third).toBe(true);
    q.close();
    expect(await collect({ [Symbol.asyncIterator]: () => it })).toEqual([2, 3]);
    expect(await q.push(4)).toBe(false);
  });

  it('fails the consumer and releases blocked producers', async () => {
    const q = new AsyncQueue<number>(1);
    await q.push(1);
    const blocked = q.push(2);
    q.fail(new Error('boom'));
    expect(await blocked).toBe(false);
    await expect(collect(q)).rejects.toThrow('boom');
  });
});

describe('AckWindow', () => {
  it('allows `frames` frames in flight and releases on ack', async () => {
    const w = new AckWindow(2);
    await w.acquire(10);
    await w.acquire(20);
    let got = false;
    const p = w.acquire(30).then(() => (got = true));
    // Every reaction run (nothing here waits on I/O or a timer): the third frame is still not in flight.
    await settle();
    expect(w.inFlight).toBe(2);
    expect(got).toBe(false);
    w.ack(10);
    await p;
    expect(w.inFlight).toBe(2);
    expect(() => w.ack(5)).toThrow(/backwards/);
  });

  it('wakes a blocked sender with the failure', async () => {
    const w = new AckWindow(1);
    await w.acquire(1);
    const p = w.acquire(2);
    w.fail(new Error('stream broke'));
    await expect(p).rejects.toThrow('stream broke');
  });
});

describe('withIdleTimeout', () => {
  async function* stalls(): AsyncGenerator<number> {
    yield 1;
    await new Promise(() => undefined);
  }

  it('fails a stalled source with DeadlineExceeded', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const x of withIdleTimeout(stalls(), { idleTimeoutMs: 50, what: 'test stream' })) seen.push(x);
    };
    await expect(run()).rejects.toMatchObject({ code: Code.DeadlineExceeded, reason: 'IDLE_TIMEOUT' });
    expect(seen).toEqual([1]);
  });

  it('fails with Canceled when the signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const run = async () => {
      for await (const _ of withIdleTimeout(stalls(), { idleTimeoutMs: 10_000, signal: ac.signal, what: 'test stream' }));
    };
    await expect(run()).rejects.toMatchObject({ code: Code.Canceled });
  });

  it('passes a healthy source through', async () => {
    expect(await collect(withIdleTimeout(pieces(new Uint8Array(5), [2]), { idleTimeoutMs: 50, what: 'x' }))).toHaveLength(3);
  });
});

describe('ByteBudget', () => {
  it('hands out bytes first come, first served and blocks when spent', async () => {
    const b = new ByteBudget(100);
    await b.acquire(60);
    const order: string[] = [];
    const big = b.acquire(50).then(() => order.push('big'));
    const small = b.acquire(10).then(() => order.push('small'));
    // Every reaction run (nothing here waits on I/O or a timer): both are queued.
    await settle();
    expect(b.waiting).toBe(2);
    expect(order).toEqual([]); // small waits behind big even though it would fit
    b.release(60);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(b.inUse).toBe(60);
  });

  it('lets a request larger than the budget through alone', async () => {
    const b = new ByteBudget(10);
    await b.acquire(1_000);
    expect(b.inUse).toBe(10);
    b.release(1_000);
    expect(b.inUse).toBe(0);
  });

  it('drops an aborted waiter and serves the next', async () => {
    const b = new ByteBudget(10);
    await b.acquire(10);
    const ac = new AbortController();
    const aborted = b.acquire(5, ac.signal);
    const next = b.acquire(5);
    expect(b.waiting).toBe(2);
    ac.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(b.waiting).toBe(1);
    b.release(5);
    await next;
    expect(b.waiting).toBe(0);
    expect(b.inUse).toBe(10);
  });
});
