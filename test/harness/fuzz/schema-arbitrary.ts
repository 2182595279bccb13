// Valid-looking values for a TypeBox (JSON Schema) definition, as fast-check arbitraries: what a
// well-behaved caller of the route would send, so the fuzzer also reaches the handlers behind the
// validation. Schemas that stand for a path, an address or a handle get values that mean something
// in the test's cluster (see `Vocabulary`), not random strings.

import type { TSchema } from '@sinclair/typebox';
import fc from 'fast-check';

/** Arbitraries for schemas whose meaning a random value would miss; undefined: generate by shape. */
export type Vocabulary = (schema: TSchema) => fc.Arbitrary<unknown> | undefined;

interface SchemaShape {
  type?: string;
  anyOf?: TSchema[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: TSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, TSchema>;
  required?: string[];
}

/** Small values: a valid body is one request, not a load test. */
const ITEMS_MAX = 4;
const STRING_LENGTH_MAX = 40;

export function arbitraryOf(schema: TSchema, vocabulary: Vocabulary): fc.Arbitrary<unknown> {
  const special = vocabulary(schema);
  if (special !== undefined) return special;
  const shape = schema as SchemaShape;
  if (shape.anyOf !== undefined) return fc.oneof(...shape.anyOf.map((option) => arbitraryOf(option, vocabulary)));
  if (shape.const !== undefined) return fc.constant(shape.const);
  switch (shape.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
      return integerIn(shape.minimum ?? Number.MIN_SAFE_INTEGER, shape.maximum ?? Number.MAX_SAFE_INTEGER);
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'string':
      return shape.pattern === undefined
        ? fc.string({ minLength: shape.minLength ?? 0, maxLength: Math.min(shape.maxLength ?? 40, STRING_LENGTH_MAX) })
        : fc.stringMatching(new RegExp(shape.pattern));
    case 'array':
      return fc.array(arbitraryOf(shape.items ?? ({} as TSchema), vocabulary), {
        minLength: shape.minItems ?? 0,
        maxLength: Math.max(shape.minItems ?? 0, Math.min(shape.maxItems ?? ITEMS_MAX, ITEMS_MAX)),
      });
    case 'object': {
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, property] of Object.entries(shape.properties ?? {}))
        model[key] = arbitraryOf(property, vocabulary);
      return fc.record(model, { requiredKeys: shape.required ?? [] });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Mostly small values, sometimes the schema's own bounds (the edges a handler must take). */
function integerIn(minimum: number, maximum: number): fc.Arbitrary<number> {
  const low = Math.max(minimum, -1_000);
  const high = Math.min(maximum, 1_000_000);
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: low, max: Math.max(low, high) }) },
    { weight: 1, arbitrary: fc.constantFrom(minimum, maximum) },
  );
}
