import { parseDuration, zDuration } from './index.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [250, 250],
    ['500', 500],
    ['500ms', 500],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    [' 10S ', 10_000],
  ])('%p is %p ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([['soon'], [''], ['-1s'], ['10 minutes'], ['1m30'], ['s'], ['5w'], [-1], [Number.NaN], [Infinity]])('rejects %p', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('zDuration', () => {
  it('parses to milliseconds and says what a duration looks like', () => {
    expect(zDuration.parse('2m')).toBe(120_000);
    expect(zDuration.parse(1000)).toBe(1000);
    expect(zDuration.safeParse('soon').error?.issues[0].message).toMatch(/expected a duration such as .*"30s"/);
    expect(zDuration.safeParse(null).error?.issues[0].message).toMatch(/expected a duration/);
  });
});
