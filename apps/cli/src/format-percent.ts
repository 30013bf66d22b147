/** `part` of `whole` as "12%", or "-" when the whole is unknown (0). */
export function formatPercent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : '-';
}
