import type { z } from 'zod';

type AnySchema = z.core.$ZodType;

/**
 * The schema that decides what a value is, under the wrappers that only say
 * whether it may be absent (optional, default, ...). A preprocess pipe is
 * looked through to its target, any other pipe to its input, because that is
 * what the raw value is checked against first.
 */
export function unwrapSchema(schema: AnySchema): AnySchema {
  for (let depth = 0; depth < 64; depth++) {
    const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'readonly':
      case 'catch':
      case 'nonoptional':
        schema = def['innerType'] as AnySchema;
        break;
      case 'pipe': {
        const input = def['in'] as AnySchema;
        schema = input._zod.def.type === 'transform' ? (def['out'] as AnySchema) : input;
        break;
      }
      case 'lazy':
        schema = (def['getter'] as () => AnySchema)();
        break;
      default:
        return schema;
    }
  }
  return schema;
}

/** The shape of an object schema, or undefined for any other schema. */
export function objectShape(schema: AnySchema): Readonly<Record<string, AnySchema>> | undefined {
  const def = unwrapSchema(schema)._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  return def.type === 'object' ? (def['shape'] as Record<string, AnySchema>) : undefined;
}

/**
 * The schema at a dotted key path inside `schema`, or undefined when no such
 * key exists. Records accept any key; arrays accept numeric segments.
 */
export function schemaAt(schema: AnySchema, path: readonly string[]): AnySchema | undefined {
  let current: AnySchema | undefined = schema;
  for (const key of path) {
    if (!current) return undefined;
    const def = unwrapSchema(current)._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    if (def.type === 'object') {
      const shape = def['shape'] as Record<string, AnySchema>;
      current = Object.hasOwn(shape, key) ? shape[key] : undefined;
    } else if (def.type === 'record') {
      current = def['valueType'] as AnySchema;
    } else if (def.type === 'array' && /^[0-9]+$/.test(key)) {
      current = def['element'] as AnySchema;
    } else {
      return undefined;
    }
  }
  return current;
}
