import type { RowResult } from './evaluate-rows.js';
import { formatMarkdownTable, formatNumber, formatPass, formatRatio, formatTarget, formatTextTable } from './format-results-table.js';

const rows: RowResult[] = [
  { id: 'a', group: 'limits', label: 'disk write', unit: 'MB/s', samples: [734, 700, 800], median: 734, min: 700, max: 800 },
  {
    id: 'b',
    group: 'large file',
    label: 'upload',
    unit: 'MB/s',
    limit: 'a',
    target: { op: '>=', value: 0.55, on: 'ratio' },
    samples: [120.4],
    median: 120.4,
    min: 120.4,
    max: 120.4,
    limitMedian: 244.7,
    ratio: 0.492,
    pass: false,
  },
  { id: 'c', group: 'large file', label: 'a | b', unit: 'ms', target: { op: '<', value: 100, on: 'value' }, samples: [12.345], median: 12.345, min: 12.345, max: 12.345, pass: true },
];

describe('number formatting', () => {
  it.each([
    [0.01234, '0.012'],
    [1.2345, '1.23'],
    [12.345, '12.3'],
    [123.45, '123'],
    [12345.6, '12,346'],
    [-3.5, '-3.50'],
    [0, '0'],
    [7, '7'],
  ])('formatNumber(%p) is %p', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it('formats ratios, targets and results', () => {
    expect(formatRatio(0.4921)).toBe('0.49×');
    expect(formatRatio(undefined)).toBe('');
    expect(formatTarget({ op: '>=', value: 0.55, on: 'ratio' }, 'MB/s')).toBe('≥ 0.55× limit');
    expect(formatTarget({ op: '<', value: 100, on: 'value' }, 'ms')).toBe('< 100 ms');
    expect(formatTarget({ op: '>=', value: 500, on: 'value' }, 'files/s')).toBe('≥ 500 files/s');
    expect(formatTarget(undefined, 'ms')).toBe('');
    expect([formatPass(true), formatPass(false), formatPass(undefined)]).toEqual(['met', 'MISSED', '']);
  });
});

describe('formatTextTable', () => {
  const lines = formatTextTable(rows).trimEnd().split('\n');

  it('has a header, a rule and one line per row, the group shown where it changes', () => {
    expect(lines).toHaveLength(2 + rows.length);
    expect(lines[0]).toMatch(/^group\s+case\s+median\s+min\s+max\s+unit\s+limit\s+ratio\s+target\s+result$/);
    expect(lines[2]).toMatch(/^limits\s+disk write\s+734\s+700\s+800\s+MB\/s$/);
    expect(lines[3]).toMatch(/^large file\s+upload\s+120\s+120\s+120\s+MB\/s\s+245\s+0\.49×\s+≥ 0\.55× limit\s+MISSED$/);
    expect(lines[4]).toMatch(/^\s+a \| b\s+12\.3/);
  });

  it('right-aligns the numbers: each median ends where the rule under "median" ends', () => {
    const rule = lines[1]!;
    const medianEnd = [...rule.matchAll(/-+/g)][2]!;
    const last = medianEnd.index! + medianEnd[0].length - 1;
    for (const line of lines.slice(2)) {
      expect(line[last]).toMatch(/\d/);
      expect(line[last + 1]).toBe(' ');
    }
  });
});

describe('formatMarkdownTable', () => {
  it('is a Markdown table with numeric columns right-aligned and pipes escaped', () => {
    const lines = formatMarkdownTable(rows).trimEnd().split('\n');
    expect(lines[0]).toBe('| group | case | median | min | max | unit | limit | ratio | target | result |');
    expect(lines[1]).toBe('|---|---|---:|---:|---:|---|---:|---:|---|---|');
    expect(lines[3]).toBe('| large file | upload | 120 | 120 | 120 | MB/s | 245 | 0.49× | ≥ 0.55× limit | MISSED |');
    expect(lines[4]).toBe('|  | a \\| b | 12.3 | 12.3 | 12.3 | ms |  |  | < 100 ms | met |');
  });
});
