import { z } from 'zod';

const SIZE_PATTERN = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-z]*)$/i;

// IEC units are powers of 1024, SI units with a "B" powers of 1000. A bare
// letter ("512k", "64m") is binary, as in HDFS, nginx and the JVM's -Xmx,
// which is what an operator typing it almost always means.
const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
};

/** What a size must look like; used in every error about one. */
export const SIZE_EXPECTED = 'expected a size in bytes such as 1048576, "512k", "64MiB" or "1.5GB"';

/**
 * Parses a byte size: a number of bytes, or a string such as "1048576",
 * "512k", "64MiB", "1.5GB" (units are case-insensitive; KiB/MiB/GiB/TiB and
 * bare k/m/g/t are powers of 1024, KB/MB/GB/TB powers of 1000). Returns
 * undefined for anything else, including negative and fractional byte counts.
 */
export function parseSize(value: number | string): number | undefined {
  let bytes: number;
  if (typeof value === 'number') {
    bytes = value;
  } else {
    const match = SIZE_PATTERN.exec(value.trim());
    const unit = match ? UNITS[match[2].toLowerCase()] : undefined;
    if (!match || unit === undefined) return undefined;
    bytes = Number(match[1]) * unit;
  }
  return Number.isSafeInteger(bytes) && bytes >= 0 ? bytes : undefined;
}

/**
 * A byte size (see {@link parseSize}) as a number of bytes. Add bounds with
 * `.pipe(z.number().max(...))`.
 */
export const zSize = z.union([z.number(), z.string()], { error: SIZE_EXPECTED }).transform((value, ctx) => {
  const bytes = parseSize(value);
  if (bytes === undefined) {
    ctx.issues.push({ code: 'custom', message: SIZE_EXPECTED, input: value });
    return z.NEVER;
  }
  return bytes;
});
