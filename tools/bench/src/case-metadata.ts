import { join } from 'node:path';
import type { CaseContext } from './case-context.js';
import { spawnJson } from './spawn-json.js';

interface ThroughputRow {
  backend: string;
  what: string;
  count: number;
  perSecond: number;
}

/** metadata-throughput.ts's rows, by the ids of this table. */
const ROWS: Record<string, { id: string; scale: number }> = {
  'commits, one at a time': { id: 'metadata.commit-serial', scale: 1 },
  'commits, 200 in flight': { id: 'metadata.commit-parallel', scale: 1 },
  'stat, one at a time': { id: 'metadata.stat', scale: 1 },
  // It reports entries per second; a page holds 1000.
  'list recursive, pages of 1000': { id: 'metadata.list', scale: 1 / 1000 },
};

/**
 * The metadata store straight, without RPCs: metadata-throughput.ts in a
 * process of its own, on the backend of this run. For etcd it starts a
 * fresh etcd each run: etcd keeps every revision until compacted, so a
 * second run on the cluster's etcd would be slowed by the first one's.
 */
export async function runMetadataCase(ctx: CaseContext): Promise<void> {
  const backend = ctx.options.metadata;
  const args = ['--backends', backend, '--files', String(ctx.options.plan.metadataFiles)];
  // Its per-row lines are dropped (the table is the output); its last line is the JSON.
  const { rows } = await spawnJson<{ rows: ThroughputRow[] }>(join(__dirname, 'metadata-throughput.js'), args);
  for (const row of rows) {
    const mapped = ROWS[row.what];
    if (mapped) ctx.record(mapped.id, row.perSecond * mapped.scale);
  }
  ctx.log(`metadata (${backend}): ${rows.map((r) => `${r.what} ${r.perSecond}/s`).join(', ')}`);
}
