import type { z } from 'zod';
import { unwrapSchema } from './schema-at.js';

type AnySchema = z.core.$ZodType;

/** A key in the input that the schema does not know. */
export interface UnknownKey {
  /** Path of the unknown key itself (its parent path plus the key). */
  path: (string | number)[];
  /** The keys that are allowed at that level. */
  known: string[];
}

/**
 * Every key in `value` that `schema` would silently drop. Config files are
 * checked strictly whatever the schema says, because a misspelt setting that
 * is ignored is worse than one that stops the process. Objects that declare a
 * catchall (z.looseObject, .catchall()) accept anything and are skipped.
 */
export function findUnknownKeys(schema: AnySchema, value: unknown, path: (string | number)[] = []): UnknownKey[] {
  const def = unwrapSchema(schema)._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const found: UnknownKey[] = [];
  if (def.type === 'object' && isPlainObject(value)) {
    const shape = def['shape'] as Record<string, AnySchema>;
    const catchall = def['catchall'] as AnySchema | undefined;
    const strict = !catchall || catchall._zod.def.type === 'never';
    for (const [key, child] of Object.entries(value)) {
      if (Object.hasOwn(shape, key)) found.push(...findUnknownKeys(shape[key], child, [...path, key]));
      else if (strict) found.push({ path: [...path, key], known: Object.keys(shape) });
    }
  } else if (def.type === 'record' && isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      found.push(...findUnknownKeys(def['valueType'] as AnySchema, child, [...path, key]));
    }
  } else if (def.type === 'array' && Array.isArray(value)) {
    value.forEach((child, index) => found.push(...findUnknownKeys(def['element'] as AnySchema, child, [...path, index])));
  }
  return found;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
