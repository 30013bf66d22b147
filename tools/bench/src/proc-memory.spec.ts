import { procMemory } from './proc-memory.js';

describe('procMemory', () => {
  it('reads resident and peak resident memory of a live process', async () => {
    const m = await procMemory(process.pid);
    expect(m.rss).toBeGreaterThan(1024 * 1024);
    expect(m.peakRss).toBeGreaterThanOrEqual(m.rss);
  });

  it('fails for a process that does not exist', async () => {
    await expect(procMemory(2 ** 22 + 12345)).rejects.toThrow(/ENOENT/);
  });
});
