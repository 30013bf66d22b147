import { ProgressBar } from './progress-bar.js';

const MiB = 1024 * 1024;

function fakeTerminal(columns = 100) {
  const writes: string[] = [];
  return { writes, stream: { columns, write: (text: string) => writes.push(text) > 0 } };
}

describe('ProgressBar', () => {
  it('shows label, bar, percent, bytes, rate and ETA', () => {
    let now = 0;
    const { stream } = fakeTerminal();
    const bar = new ProgressBar({ label: 'big.iso', stream, now: () => now });
    now = 2_000;
    bar.update(4 * MiB, 16 * MiB);
    const line = bar.render(4 * MiB, 16 * MiB);
    expect(line).toMatch(/^big\.iso {2}\[#+-+\] {2} 25% {2}4\.0 MiB\/16 MiB {2}2\.0 MiB\/s {2}ETA 6s$/);
  });

  it('shows bytes and rate only when the size is unknown (stdin)', () => {
    let now = 0;
    const { stream } = fakeTerminal();
    const bar = new ProgressBar({ label: 'stdin', stream, now: () => now });
    now = 1_000;
    bar.update(3 * MiB);
    expect(bar.render(3 * MiB)).toBe('stdin  3.0 MiB  3.0 MiB/s');
  });

  it('measures the rate over the last seconds, not since the start', () => {
    let now = 0;
    const { stream } = fakeTerminal();
    const bar = new ProgressBar({ label: 'f', stream, now: () => now });
    for (let s = 1; s <= 20; s++) {
      now = s * 1000;
      // Fast for ten seconds (10 MiB/s), then a trickle (1 MiB/s).
      bar.update(s <= 10 ? s * 10 * MiB : 100 * MiB + (s - 10) * MiB, 1000 * MiB);
    }
    expect(bar.render(110 * MiB, 1000 * MiB)).toContain('  1.0 MiB/s');
  });

  it('redraws at most every interval, always for the last update, and clears its line when done', () => {
    let now = 0;
    const { writes, stream } = fakeTerminal();
    const bar = new ProgressBar({ label: 'f', stream, now: () => now, intervalMs: 100 });
    bar.update(1, 10);
    now = 50;
    bar.update(2, 10);
    now = 60;
    bar.update(10, 10);
    expect(writes).toHaveLength(2);
    expect(writes.every((w) => w.startsWith('\r\x1b[K'))).toBe(true);
    bar.done();
    expect(writes[2]).toBe('\r\x1b[K');
  });

  it('never draws wider than the terminal, shortening the label from the left', () => {
    const { stream } = fakeTerminal(90);
    const bar = new ProgressBar({ label: '/a/very/long/directory/name/and/then/the-file.bin', stream, now: () => 0 });
    const line = bar.render(MiB, 2 * MiB);
    expect(line.length).toBeLessThanOrEqual(89);
    expect(line).toMatch(/^…[a-z/-]*the-file\.bin {2}\[#+-+\]/);
  });

  it('drops the bar before the numbers on a narrow terminal, and takes 0 columns (a pty) as 80', () => {
    const narrow = new ProgressBar({ label: 'f.bin', stream: fakeTerminal(30).stream, now: () => 0 });
    expect(narrow.render(1024 ** 2, 2 * 1024 ** 2)).toBe('f.bin   50%  1.0 MiB/2.0 MiB');
    const unknown = new ProgressBar({ label: 'f.bin', stream: fakeTerminal(0).stream, now: () => 0 });
    expect(unknown.render(1024 ** 2, 2 * 1024 ** 2)).toMatch(/^f\.bin {2}\[#{7}-{7}\] {3}50%/);
  });
});
