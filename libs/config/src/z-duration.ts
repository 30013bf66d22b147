import { z } from 'zod';

const PART_PATTERN = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(ms|s|m|h|d)/gy;
const NUMBER_PATTERN = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a duration must look like; used in every error about one. */
export const DURATION_EXPECTED = 'expected a duration such as 500 (ms), "500ms", "30s", "2m", "1h" or "1m30s"';

/**
 * Parses a duration into milliseconds: a number (already ms), a numeric string
 * (ms), or one or more number+unit parts, units ms, s, m, h, d ("1m30s").
 * Returns undefined for anything else, including negative durations.
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim().toLowerCase();
  if (NUMBER_PATTERN.test(text)) return Number(text);
  if (text === '') return undefined;
  let ms = 0;
  let end = 0;
  PART_PATTERN.lastIndex = 0;
  for (let match = PART_PATTERN.exec(text); match; match = PART_PATTERN.exec(text)) {
    ms += Number(match[1]) * UNIT_MS[match[2]];
    end = PART_PATTERN.lastIndex;
  }
  return end === text.length && Number.isFinite(ms) ? ms : undefined;
}

/** A duration (see {@link parseDuration}) as milliseconds. */
export const zDuration = z.union([z.number(), z.string()], { error: DURATION_EXPECTED }).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.issues.push({ code: 'custom', message: DURATION_EXPECTED, input: value });
    return z.NEVER;
  }
  return ms;
});
