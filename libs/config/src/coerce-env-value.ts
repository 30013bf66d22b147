import type { z } from 'zod';
import { unwrapSchema } from './schema-at.js';

const NUMBER_PATTERN = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(e[+-]?[0-9]+)?$/i;
const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * An environment variable's string as the type its schema expects: numbers,
 * booleans (true/false, 1/0, yes/no, on/off), bigints, and arrays as
 * comma-separated lists. A string that does not fit is returned unchanged, so
 * validation reports it with the variable's own text.
 */
export function coerceEnvValue(schema: z.core.$ZodType, raw: string): unknown {
  const def = unwrapSchema(schema)._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const text = raw.trim();
  switch (def.type) {
    case 'number':
    case 'int':
      return NUMBER_PATTERN.test(text) ? Number(text) : raw;
    case 'bigint':
      return /^[+-]?[0-9]+$/.test(text) ? BigInt(text) : raw;
    case 'boolean': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return raw;
    }
    case 'array':
      return text === '' ? [] : text.split(',').map((item) => coerceEnvValue(def['element'] as z.core.$ZodType, item.trim()));
    default:
      return raw;
  }
}
