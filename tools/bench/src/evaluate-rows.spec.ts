import { evaluateRows, median } from './evaluate-rows.js';
import type { RowSpec } from './row-specs.js';

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([3])).toBe(3);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses no values', () => {
    expect(() => median([])).toThrow(/no values/);
  });
});

describe('evaluateRows', () => {
  const specs: RowSpec[] = [
    { id: 'limit', group: 'limits', label: 'limit', unit: 'MB/s' },
    { id: 'up', group: 'large', label: 'upload', unit: 'MB/s', limit: 'limit', target: { op: '>=', value: 0.5, on: 'ratio' } },
    { id: 'rss', group: 'memory', label: 'rss', unit: 'MiB', target: { op: '<', value: 200, on: 'value' } },
    { id: 'never', group: 'x', label: 'not measured', unit: 'ms' },
  ];

  it('gives median, min and max per row and drops rows no run measured', () => {
    const rows = evaluateRows(specs, [{ limit: 100, rss: 150 }, { limit: 300, rss: 250 }, { limit: 200, rss: 190 }]);
    expect(rows.map((r) => r.id)).toEqual(['limit', 'rss']);
    expect(rows[0]).toMatchObject({ samples: [100, 300, 200], median: 200, min: 100, max: 300 });
    expect(rows[1]).toMatchObject({ median: 190, pass: true });
  });

  it('divides each run by the limit of the same run, then takes the median of those ratios', () => {
    // Ratios 0.6, 0.4, 0.25: median 0.4, although median(up) / median(limit) would be 60 / 200 = 0.3.
    const rows = evaluateRows(specs, [
      { limit: 100, up: 60 },
      { limit: 200, up: 80 },
      { limit: 400, up: 100 },
    ]);
    const up = rows.find((r) => r.id === 'up')!;
    expect(up.ratio).toBeCloseTo(0.4);
    expect(up.limitMedian).toBe(200);
    expect(up.pass).toBe(false);
  });

  it('leaves ratio and pass unset when the limit was not measured', () => {
    const up = evaluateRows(specs, [{ up: 60 }])[0]!;
    expect(up.ratio).toBeUndefined();
    expect(up.pass).toBeUndefined();
  });

  it('judges "under" targets strictly', () => {
    expect(evaluateRows(specs, [{ rss: 200 }])[0]!.pass).toBe(false);
    expect(evaluateRows(specs, [{ rss: 199.9 }])[0]!.pass).toBe(true);
  });

  it('refuses a value for a row the table does not have', () => {
    expect(() => evaluateRows(specs, [{ typo: 1 }])).toThrow(/typo, which is no row/);
  });
});
