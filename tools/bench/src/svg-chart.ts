import type { RowResult } from './evaluate-rows.js';
import { formatNumber } from './format-results-table.js';

export interface ChartBar {
  label: string;
  /** Bar length on the section's axis (a ratio). */
  value: number;
  /** A tick across the bar (the target ratio). */
  marker?: number;
  /** Colors the bar: met, missed, or no target. */
  pass?: boolean;
  /** Printed after the bar; default: the value with 2 decimals and "×". */
  text?: string;
}

export interface ChartSection {
  title: string;
  bars: ChartBar[];
  /** The axis ends here at the most; longer bars are cut (their text says the value). */
  maxAxis?: number;
}

/**
 * The chart's two sections, from the table rows: the ratio of each row that
 * has a limit (target ratio as a tick), then each row with a target on its
 * own value, scaled so that 1 is the target and longer is better (value /
 * target for "at least", target / value for "under").
 */
export function chartSections(rows: readonly RowResult[]): ChartSection[] {
  const ratios: ChartBar[] = rows
    .filter((r) => r.ratio !== undefined)
    .map((r) => ({ label: r.label, value: r.ratio!, marker: r.target?.on === 'ratio' ? r.target.value : undefined, pass: r.pass }));
  const targets: ChartBar[] = rows
    .filter((r) => r.target?.on === 'value' && r.median > 0)
    .map((r) => ({
      label: r.label,
      value: r.target!.op === '>=' ? r.median / r.target!.value : r.target!.value / r.median,
      marker: 1,
      pass: r.pass,
      text: `${formatNumber(r.median)} ${r.unit} (target ${r.target!.op === '>=' ? '≥' : '<'} ${formatNumber(r.target!.value)})`,
    }));
  return [
    { title: 'Ratio to the machine limit measured in the same run (tick: target)', bars: ratios },
    { title: 'Against the targets of issue 7: 1 = on target, longer is better (cut at 4)', bars: targets, maxAxis: 4 },
  ].filter((s) => s.bars.length > 0);
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The smallest of 1, 2, 4, 5, 8 × a power of ten that is at least x: an axis end whose quarters read well. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 4, 5, 8, 10]) if (m * power >= x * (1 - 1e-12)) return m * power;
  return 10 * power;
}

/** The caption in lines of at most `width` characters, broken after "; " or ", " where it can be. */
export function wrapCaption(caption: string, width = 110): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of caption.split(/(?<=[;,] )/)) {
    if (line && line.length + part.length > width) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += part;
  }
  return [...lines, line.trimEnd()].filter((l) => l !== '');
}

const LABEL_W = 470;
const BAR_W = 380;
const TEXT_W = 230;
const ROW_H = 22;
const TITLE_H = 44;
const COLOR = { met: '#2e7d32', missed: '#c62828', none: '#5c7cba' };

/**
 * A hand-written SVG of horizontal bars, one per bar in each section. Each
 * section has its own axis from 0 to a round number at or above its largest
 * value or marker (at least 1, at most its maxAxis), with grid lines at
 * quarters of the axis.
 */
export function svgChart(sections: readonly ChartSection[], caption: string): string {
  const width = LABEL_W + BAR_W + TEXT_W;
  const out: string[] = [];
  let y = 10;
  for (const line of wrapCaption(caption)) out.push(`<text x="10" y="${(y += 18)}" font-size="14" font-weight="bold">${escapeXml(line)}</text>`);
  y += 8;
  for (const section of sections) {
    const longest = Math.max(1, ...section.bars.flatMap((b) => [b.value, b.marker ?? 0]).filter(Number.isFinite));
    const axis = niceCeil(Math.min(longest, section.maxAxis ?? Infinity));
    const x = (v: number) => LABEL_W + (Math.max(0, Math.min(v, axis)) / axis) * BAR_W;
    out.push(`<text x="10" y="${y + 18}" font-size="13" font-weight="bold">${escapeXml(section.title)}</text>`);
    const top = y + TITLE_H - 12;
    const bottom = top + section.bars.length * ROW_H;
    for (let q = 0; q <= 4; q++) {
      const gx = x((axis * q) / 4);
      out.push(`<line x1="${gx.toFixed(1)}" y1="${top}" x2="${gx.toFixed(1)}" y2="${bottom}" stroke="#ddd"/>`);
      out.push(`<text x="${gx.toFixed(1)}" y="${top - 3}" font-size="10" text-anchor="middle" fill="#666">${Number(((axis * q) / 4).toFixed(3))}</text>`);
    }
    section.bars.forEach((bar, i) => {
      const by = top + i * ROW_H;
      const color = bar.pass === undefined ? COLOR.none : bar.pass ? COLOR.met : COLOR.missed;
      const text = bar.text ?? `${bar.value.toFixed(2)}×`;
      out.push(`<text x="${LABEL_W - 8}" y="${by + 15}" font-size="11" text-anchor="end">${escapeXml(bar.label)}</text>`);
      out.push(`<rect class="bar" x="${LABEL_W}" y="${by + 3}" width="${(x(bar.value) - LABEL_W).toFixed(1)}" height="${ROW_H - 6}" fill="${color}"/>`);
      if (bar.marker !== undefined) {
        const mx = x(bar.marker).toFixed(1);
        out.push(`<line class="marker" x1="${mx}" y1="${by}" x2="${mx}" y2="${by + ROW_H}" stroke="#000" stroke-width="2"/>`);
      }
      out.push(`<text x="${LABEL_W + BAR_W + 8}" y="${by + 15}" font-size="11">${escapeXml(text)}</text>`);
    });
    y = bottom + 16;
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="sans-serif">`,
    `<rect width="${width}" height="${y}" fill="#fff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
