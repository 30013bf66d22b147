import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RowResult } from './evaluate-rows.js';
import { formatMarkdownTable } from './format-results-table.js';
import { chartSections, svgChart } from './svg-chart.js';

export interface ResultFiles {
  json: string;
  latestJson: string;
  markdown: string;
  svg: string;
}

/**
 * Writes one run's results under `outDir`: `<stem>-<time>.json` (kept, not
 * committed), and `<stem>-latest.json`, `.md` (the table for the README) and
 * `.svg` (the chart), which each run of that stem replaces. `stem` names the
 * metadata backend and quick mode, so a smoke run never replaces the
 * results of a full one.
 */
export async function writeResults(outDir: string, stem: string, payload: object, rows: readonly RowResult[], caption: string): Promise<ResultFiles> {
  await mkdir(outDir, { recursive: true });
  const time = new Date().toISOString().replace(/[:.]/g, '-');
  const files: ResultFiles = {
    json: join(outDir, `${stem}-${time}.json`),
    latestJson: join(outDir, `${stem}-latest.json`),
    markdown: join(outDir, `${stem}-latest.md`),
    svg: join(outDir, `${stem}-latest.svg`),
  };
  const json = JSON.stringify(payload, null, 2) + '\n';
  await writeFile(files.json, json);
  await writeFile(files.latestJson, json);
  await writeFile(files.markdown, `${caption}\n\n${formatMarkdownTable(rows)}`);
  await writeFile(files.svg, svgChart(chartSections(rows), caption));
  return files;
}
