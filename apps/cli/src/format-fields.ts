import { formatTable } from './format-table.js';

/** "key  value" lines with the values aligned, as `dfs stat` and `dfs status` print them. */
export function formatFields(fields: readonly (readonly [string, string])[]): string[] {
  return formatTable([{ header: '' }, { header: '' }], fields, false);
}
