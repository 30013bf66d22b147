/** A moment as "YYYY-MM-DD HH:MM:SSZ" (UTC, so two machines print the same), or "-" when unknown. */
export function formatTime(at: Date | undefined): string {
  return at ? `${at.toISOString().slice(0, 19).replace('T', ' ')}Z` : '-';
}
