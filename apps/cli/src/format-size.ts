const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/**
 * A byte count for people: "0 B", "999 B", "1.5 KiB", "12 MiB", "3.2 GiB"
 * (powers of 1024, one decimal below 10, as `ls -h` does). With `human`
 * false, the exact number of bytes, as `ls -l` prints it.
 */
export function formatSize(bytes: number, human: boolean): string {
  if (!human) return String(bytes);
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let unit = 0;
  let value = bytes;
  // Round before settling on the unit, so 1023.97 KiB reads "1.0 MiB", not "1024 KiB".
  while (unit < UNITS.length - 1 && roundForDisplay(value) >= 1024) {
    value /= 1024;
    unit++;
  }
  const rounded = roundForDisplay(value);
  return `${rounded < 10 ? rounded.toFixed(1) : String(rounded)} ${UNITS[unit]}`;
}

function roundForDisplay(value: number): number {
  return value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
}
