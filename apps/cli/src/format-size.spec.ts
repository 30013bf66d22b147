import { formatDuration } from './format-duration.js';
import { formatPercent } from './format-percent.js';
import { formatSize } from './format-size.js';
import { formatTime } from './format-time.js';

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [1024 * 1024 - 1, '1.0 MiB'],
    [8 * 1024 ** 2, '8.0 MiB'],
    [1.25 * 1024 ** 3, '1.3 GiB'],
    [500 * 1024 ** 4, '500 TiB'],
  ])('%d bytes for people is %s', (bytes, text) => {
    expect(formatSize(bytes, true)).toBe(text);
  });

  it('prints exact bytes when not for people', () => {
    expect(formatSize(8 * 1024 ** 2, false)).toBe('8388608');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [42_400, '42s'],
    [185_000, '3m05s'],
    [2 * 3600_000 + 7 * 60_000, '2h07m'],
    [3 * 86_400_000 + 4 * 3600_000, '3d04h'],
    [-5, '0s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatPercent and formatTime', () => {
  it('rounds a share, and says "-" for an unknown whole', () => {
    expect(formatPercent(1, 3)).toBe('33%');
    expect(formatPercent(5, 0)).toBe('-');
  });

  it('prints times in UTC to the second', () => {
    expect(formatTime(new Date('2025-01-31T12:34:56.789Z'))).toBe('2025-01-31 12:34:56Z');
    expect(formatTime(undefined)).toBe('-');
  });
});
