import { StallMeter } from './stall-meter.js';

// The meter on the real event loop: only lower bounds on what it measures
// (a loaded machine stalls more, never less).
describe('StallMeter', () => {
  let meter: StallMeter | undefined;
  afterEach(() => meter?.close());

  function blockFor(ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // a synchronous job holding the thread, as a huge transaction does
    }
  }

  it('sees a block of the event loop, also when asked before its own timer could run', () => {
    meter = new StallMeter(50);
    blockFor(1_500);
    // Asked synchronously, right after the block: the meter's timer has not run.
    expect(meter.take()).toBeGreaterThanOrEqual(1_400);
    // …and counts it once.
    expect(meter.take()).toBeLessThan(1_400);
  });

  it('counts a block its timer saw, until asked', async () => {
    meter = new StallMeter(50);
    blockFor(800);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(meter.take()).toBeGreaterThanOrEqual(700);
  });

  it('does not count a loop that keeps turning', async () => {
    meter = new StallMeter(50, 1_000); // only gaps over 50 s would count
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(meter.take()).toBe(0);
  });
});
