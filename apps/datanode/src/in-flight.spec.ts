import { InFlight } from './in-flight.js';

describe('InFlight', () => {
  it('ends an operation on its request signal, running its cleanups once', async () => {
    const inFlight = new InFlight();
    const request = new AbortController();
    const op = inFlight.begin('read', request.signal);
    const cleaned: string[] = [];
    op.onEnd(() => cleaned.push('reader'));
    expect(inFlight.size).toBe(1);
    request.abort(new Error('client gone'));
    expect(op.signal.aborted).toBe(true);
    await op.end();
    expect(inFlight.size).toBe(0);
    expect(cleaned).toEqual(['reader']);
    op.onEnd(() => cleaned.push('late slot'));
    await op.end();
    expect(cleaned).toEqual(['reader', 'late slot']);
  });

  it('keeps an operation without a request signal until it ends, and cancels it at shutdown', async () => {
    const inFlight = new InFlight();
    const op = inFlight.begin('copy');
    op.signal.addEventListener('abort', () => void op.end());
    const drained = await inFlight.drain(0);
    expect(drained).toEqual({ finished: false, canceled: 1 });
    expect(inFlight.size).toBe(0);
    expect(() => inFlight.begin('write')).toThrow(/shutting down/);
  });
});
