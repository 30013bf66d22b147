/** A column of a text table: its header and whether numbers line up on the right. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * Rows as aligned text lines, two spaces between columns, the header first
 * (omitted when `header` is false). The last column is not padded, so lines
 * carry no trailing blanks.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[], header = true): string[] {
  const all = header ? [columns.map((c) => c.header), ...rows] : [...rows];
  const widths = columns.map((_, i) => Math.max(0, ...all.map((r) => (r[i] ?? '').length)));
  return all.map((row) =>
    columns
      .map((c, i) => {
        const cell = row[i] ?? '';
        if (i === columns.length - 1 && c.align !== 'right') return cell;
        return c.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  '),
  );
}
