import { z } from 'zod';
import { parseSize, zSize } from './index.js';

describe('parseSize', () => {
  it.each([
    [0, 0],
    [1048576, 1048576],
    ['1048576', 1048576],
    ['512', 512],
    ['100B', 100],
    ['512k', 512 * 1024],
    ['512K', 512 * 1024],
    ['4KiB', 4096],
    ['4KB', 4000],
    ['64MiB', 64 * 1024 ** 2],
    ['64mib', 64 * 1024 ** 2],
    ['64m', 64 * 1024 ** 2],
    ['8 MB', 8_000_000],
    ['1.5GB', 1_500_000_000],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['2g', 2 * 1024 ** 3],
    ['1TiB', 1024 ** 4],
    ['2TB', 2e12],
    ['.5k', 512],
    ['  16MiB  ', 16 * 1024 ** 2],
  ])('%p is %p bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each([['abc'], [''], ['-1'], ['1.5'], ['0.1KiB'], ['12 parsecs'], ['MiB'], ['1e3'], [-5], [1.5], [Number.NaN], [Infinity]])(
    'rejects %p',
    (input) => {
      expect(parseSize(input)).toBeUndefined();
    },
  );
});

describe('zSize', () => {
  it('parses numbers and unit strings to bytes', () => {
    expect(zSize.parse('64MiB')).toBe(64 * 1024 ** 2);
    expect(zSize.parse(4096)).toBe(4096);
  });

  it('says what a size looks like when the value is not one', () => {
    const result = zSize.safeParse('lots');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toMatch(/expected a size in bytes such as .*"64MiB"/);
    expect(zSize.safeParse(true).error?.issues[0].message).toMatch(/expected a size/);
  });

  it('composes with bounds', () => {
    const chunkSize = zSize.pipe(z.number().max(64 * 1024 ** 2));
    expect(chunkSize.parse('8MiB')).toBe(8 * 1024 ** 2);
    expect(chunkSize.safeParse('65MiB').success).toBe(false);
  });
});
