import type { RowResult } from './evaluate-rows.js';
import type { Target } from './row-specs.js';

/** 3 significant digits at most, thousands separated: 0.0123, 1.23, 12.3, 123, 12,345; whole numbers (counts) as they are. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 || Number.isInteger(value) ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatRatio(ratio: number | undefined): string {
  return ratio === undefined ? '' : `${ratio.toFixed(2)}×`;
}

export function formatTarget(target: Target | undefined, unit: string): string {
  if (!target) return '';
  const op = target.op === '>=' ? '≥' : '<';
  return target.on === 'ratio' ? `${op} ${target.value}× limit` : `${op} ${formatNumber(target.value)} ${unit}`;
}

/** "met", "MISSED", or empty for a row without a target (or whose limit was not measured). */
export function formatPass(pass: boolean | undefined): string {
  return pass === undefined ? '' : pass ? 'met' : 'MISSED';
}

const HEADER = ['group', 'case', 'median', 'min', 'max', 'unit', 'limit', 'ratio', 'target', 'result'];
const NUMERIC = new Set(['median', 'min', 'max', 'limit', 'ratio']);

function cells(rows: readonly RowResult[]): string[][] {
  return rows.map((r, i) => [
    // The group only where it changes: the table reads as sections.
    i > 0 && rows[i - 1]!.group === r.group ? '' : r.group,
    r.label,
    formatNumber(r.median),
    formatNumber(r.min),
    formatNumber(r.max),
    r.unit,
    r.limitMedian === undefined ? '' : formatNumber(r.limitMedian),
    formatRatio(r.ratio),
    formatTarget(r.target, r.unit),
    formatPass(r.pass),
  ]);
}

/** A fixed-width table for a terminal, numbers right-aligned. */
export function formatTextTable(rows: readonly RowResult[]): string {
  const body = cells(rows);
  const widths = HEADER.map((h, c) => Math.max(h.length, ...body.map((row) => [...row[c]!].length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (NUMERIC.has(HEADER[c]!) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/** The same table in Markdown (for the README's performance section). */
export function formatMarkdownTable(rows: readonly RowResult[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (row: string[]) => `| ${row.map(escape).join(' | ')} |`;
  const align = HEADER.map((h) => (NUMERIC.has(h) ? '---:' : '---'));
  return [line(HEADER), `|${align.join('|')}|`, ...cells(rows).map(line)].join('\n') + '\n';
}
