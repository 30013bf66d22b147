import type { RowSpec, Target } from './row-specs.js';

/** What each run measured, by row id (a run that skipped a row has no entry for it). */
export type RunValues = Record<string, number>;

export interface RowResult extends RowSpec {
  /** One value per run that measured the row, in run order. */
  samples: number[];
  median: number;
  min: number;
  max: number;
  /** Median of the row's limit over the same runs. */
  limitMedian?: number;
  /** Median of value / limit, each pair taken from the same run. */
  ratio?: number;
  /** Whether the target is met (by the median); undefined when the row has no target or lacks its limit. */
  pass?: boolean;
}

/** The middle value; for an even count, the mean of the two middle ones. Throws on an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function meets(target: Target, value: number): boolean {
  return target.op === '>=' ? value >= target.value : value < target.value;
}

/**
 * Turns the runs into table rows: median, min and max per row, the ratio to
 * its limit (median of the per-run ratios: the issue's targets are ratios
 * measured in one run, so a slow disk in run 2 is compared with run 2's
 * work) and pass/fail against its target. Rows no run measured are dropped.
 */
export function evaluateRows(specs: readonly RowSpec[], runs: readonly RunValues[]): RowResult[] {
  const known = new Set(specs.map((s) => s.id));
  for (const run of runs) {
    for (const id of Object.keys(run)) if (!known.has(id)) throw new Error(`a case reported ${id}, which is no row of the table`);
  }
  const rows: RowResult[] = [];
  for (const spec of specs) {
    const samples = runs.flatMap((run) => (run[spec.id] === undefined ? [] : [run[spec.id]!]));
    if (samples.length === 0) continue;
    const row: RowResult = { ...spec, samples, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
    if (spec.limit) {
      const paired = runs.filter((run) => run[spec.id] !== undefined && run[spec.limit!] !== undefined && run[spec.limit!]! > 0);
      if (paired.length > 0) {
        row.limitMedian = median(paired.map((run) => run[spec.limit!]!));
        row.ratio = median(paired.map((run) => run[spec.id]! / run[spec.limit!]!));
      }
    }
    if (spec.target) {
      const judged = spec.target.on === 'ratio' ? row.ratio : row.median;
      if (judged !== undefined) row.pass = meets(spec.target, judged);
    }
    rows.push(row);
  }
  return rows;
}
