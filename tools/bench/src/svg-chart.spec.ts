import type { RowResult } from './evaluate-rows.js';
import { chartSections, escapeXml, niceCeil, svgChart, wrapCaption } from './svg-chart.js';

/**
 * Well-formedness without an XML library: a declaration, then tags that nest
 * properly, quoted attributes, and no raw "<" or "&" in text.
 */
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  const token = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = token.exec(body)) !== null) {
    consumed = token.lastIndex;
    const [, close, name, , selfClosing, text] = m;
    if (text !== undefined) {
      if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root: ${text}`);
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`unescaped & in ${text}`);
    } else if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> closes nothing open`);
    } else if (!selfClosing) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
  }
  if (consumed !== body.length) throw new Error(`not XML at: ${body.slice(consumed, consumed + 60)}`);
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(', ')}`);
  if (roots !== 1) throw new Error(`${roots} root elements`);
}

function row(over: Partial<RowResult>): RowResult {
  return { id: 'x', group: 'g', label: 'x', unit: 'MB/s', samples: [1], median: 1, min: 1, max: 1, ...over };
}

const rows: RowResult[] = [
  row({ id: 'limit', label: 'disk write' }),
  row({ id: 'up', label: 'upload <R=3> & more', limit: 'limit', ratio: 0.42, target: { op: '>=', value: 0.55, on: 'ratio' }, pass: false }),
  row({ id: 'down', label: 'download', limit: 'limit', ratio: 1.7 }),
  row({ id: 'rss', label: 'client RSS', unit: 'MiB', median: 150, target: { op: '<', value: 200, on: 'value' }, pass: true }),
  row({ id: 'files', label: 'small uploads', unit: 'files/s', median: 250, target: { op: '>=', value: 500, on: 'value' }, pass: false }),
];

describe('chartSections', () => {
  it('charts ratios to limits, then rows with value targets scaled so that 1 is the target', () => {
    const [ratios, targets] = chartSections(rows);
    expect(ratios!.bars.map((b) => [b.label, b.value, b.marker])).toEqual([
      ['upload <R=3> & more', 0.42, 0.55],
      ['download', 1.7, undefined],
    ]);
    expect(targets!.bars.map((b) => [b.label, b.value, b.pass])).toEqual([
      ['client RSS', 200 / 150, true],
      ['small uploads', 0.5, false],
    ]);
  });

  it('leaves out a section with nothing in it', () => {
    expect(chartSections([rows[0]!, rows[3]!]).map((s) => s.bars.length)).toEqual([1]);
  });
});

describe('axis and caption helpers', () => {
  it.each([
    [0.42, 0.5],
    [1, 1],
    [1.7, 2],
    [3, 4],
    [11.97, 20],
    [0, 1],
  ])('niceCeil(%p) is %p', (x, nice) => {
    expect(niceCeil(x)).toBeCloseTo(nice);
  });

  it('wraps the caption after "; " or ", " only', () => {
    expect(wrapCaption('DFS bench: 2 cores, 24 GiB; embedded metadata; median of 3 runs', 30)).toEqual(['DFS bench: 2 cores, 24 GiB;', 'embedded metadata;', 'median of 3 runs']);
    expect(wrapCaption('short', 30)).toEqual(['short']);
  });
});

describe('svgChart', () => {
  const svg = svgChart(chartSections(rows), 'DFS bench: 2 cores & 24 GiB');

  it('is well-formed XML with an svg root', () => {
    expect(() => checkWellFormed(svg)).not.toThrow();
    expect(svg).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('draws one bar per charted row and one tick per target', () => {
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(4);
    expect(svg.match(/<line class="marker"/g)).toHaveLength(3);
  });

  it('escapes labels and caption', () => {
    expect(svg).toContain('upload &lt;R=3&gt; &amp; more');
    expect(svg).toContain('2 cores &amp; 24 GiB');
  });

  it('makes bar length proportional to the value on the section axis', () => {
    const widths = [...svg.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
    // The first section's axis runs to 2 (1.7 rounded up): 0.42 is 0.42 / 1.7 of the 1.7 bar.
    expect(widths[0]! / widths[1]!).toBeCloseTo(0.42 / 1.7, 2);
    expect(svg).toMatch(/>0\.5<\/text>/);
  });

  it('cuts bars at the section maximum', () => {
    const cut = svgChart([{ title: 't', maxAxis: 3, bars: [{ label: 'a', value: 12 }, { label: 'b', value: 1.5 }] }], 'c');
    const widths = [...cut.matchAll(/<rect class="bar"[^>]* width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths[1]! / widths[0]!).toBeCloseTo(1.5 / 4, 2);
  });

  it('draws nothing but the caption when there is nothing to chart', () => {
    const empty = svgChart([], 'nothing');
    expect(() => checkWellFormed(empty)).not.toThrow();
    expect(empty).not.toContain('class="bar"');
  });

  it('is a valid test of well-formedness', () => {
    expect(() => checkWellFormed('<svg><g></svg>')).toThrow();
    expect(() => checkWellFormed('<svg>a & b</svg>')).toThrow(/unescaped/);
    expect(() => checkWellFormed('<svg x=1></svg>')).toThrow(/not XML/);
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
