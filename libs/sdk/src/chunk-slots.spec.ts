import { ChunkSlots } from './chunk-slots.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('ChunkSlots', () => {
  it('counts a chunk of 8 MiB or more as a whole slot and a smaller one by its size in 1 MiB frames', () => {
    const slots = new ChunkSlots(2);
    expect(slots.fit(64 * MiB)).toBe(2);
    expect(slots.fit(8 * MiB)).toBe(2);
    expect(slots.fit(4 * MiB)).toBe(4);
    expect(slots.fit(1.5 * MiB)).toBe(8);
    expect(slots.fit(MiB)).toBe(16);
    expect(slots.fit(64 * KiB)).toBe(16);
    expect(slots.fit(0)).toBe(16);
  });

  it('makes a transfer wait until its share is free, first come first served', async () => {
    const slots = new ChunkSlots(1);
    await slots.acquire(4 * MiB);
    await slots.acquire(3 * MiB);
    const order: string[] = [];
    const big = slots.acquire(8 * MiB).then(() => order.push('big'));
    const small = slots.acquire(64 * KiB).then(() => order.push('small'));
    expect(slots.waiting).toBe(2);
    slots.release(3 * MiB);
    await Promise.resolve();
    // One frame is free, but the small one queued behind the big one.
    expect(order).toEqual([]);
    slots.release(4 * MiB);
    await big;
    expect(order).toEqual(['big']);
    slots.release(8 * MiB);
    await small;
    expect(order).toEqual(['big', 'small']);
    expect(slots.inUse).toBe(1);
  });
});
