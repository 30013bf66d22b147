import type { FileInfo } from '@dfs/sdk';
import { formatSize } from './format-size.js';
import { formatTable, type Column } from './format-table.js';
import { formatTime } from './format-time.js';

const COLUMNS: Column[] = [
  { header: 'TYPE' },
  { header: 'SIZE', align: 'right' },
  { header: 'CHUNKS', align: 'right' },
  { header: 'REPL', align: 'right' },
  { header: 'CREATED' },
  { header: 'PATH' },
];

/**
 * `dfs ls -l`: one row per entry under a header. Sizes in bytes, or for
 * people with `human`; times in UTC to the second. Directories show "-"
 * where a file has numbers.
 */
export function formatLongListing(entries: readonly FileInfo[], human: boolean): string[] {
  const rows = entries.map((e) =>
    e.isDirectory
      ? ['dir', '-', '-', '-', '-', `${e.path}/`]
      : ['file', formatSize(e.size, human), String(e.chunkCount), String(e.replication), formatTime(e.createdAt), e.path],
  );
  return formatTable(COLUMNS, rows);
}
