// Values a hostile client sends: path traversal in its spellings, NUL, unicode, overlong names,
// numbers at and past every edge, wrong types, deep nesting, prototype keys and broken JSON.
// Every escape attempt names ESCAPE_MARKER, so a file it managed to create is easy to find.

import fc from 'fast-check';

/** Part of every traversal target: a file by this name anywhere is an escape. */
export const ESCAPE_MARKER = 'gfs-fuzz-escape';

const TRAVERSALS = [
  '..',
  '.',
  '../..',
  `../../${ESCAPE_MARKER}`,
  `../../../../../../tmp/${ESCAPE_MARKER}`,
  `/tmp/${ESCAPE_MARKER}`,
  `/etc/passwd`,
  `..\\..\\${ESCAPE_MARKER}`,
  `%2e%2e/%2e%2e/${ESCAPE_MARKER}`,
  `%2e%2e%2f%2e%2e%2f${ESCAPE_MARKER}`,
  `..%2f..%2f${ESCAPE_MARKER}`,
  `%252e%252e%252f${ESCAPE_MARKER}`,
  `..%c0%af${ESCAPE_MARKER}`,
  `.%00./${ESCAPE_MARKER}`,
  `${ESCAPE_MARKER}\u0000.txt`,
  `${ESCAPE_MARKER}%00`,
  '~root',
  '$(touch /tmp/gfs-fuzz-escape)',
  'C:\\Windows',
  '\\\\server\\share',
];

/** Path-ish strings: traversal, control and unicode characters, overlong names. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TRAVERSALS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\r\n', '\t', '\u202e', '\ufeff', '\ud800', '😀'.repeat(70)) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 5000 }).map((n) => 'n'.repeat(n)) },
);

/** Integers around every edge a schema or a handler might get wrong. */
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    -1,
    -0,
    0.5,
    -(2 ** 31),
    2 ** 31,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    1e300,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** JSON text nested `depth` deep (arrays or objects): recursion in a parser or a validator. */
export const deepNesting: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 50, max: 100_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  );

/** Any value in a JSON body's field: wrong types, edges, hostile strings, a large string. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: edgeNumber },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, '0', '1', 'true', [1], { a: 1 }) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(300_000)) },
);

/** Keys a body should not carry: unknown ones, and the names of prototype pollution. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'extra', ''),
  fc.string({ maxLength: 12 }),
);

/** JSON-ish text that is not valid JSON, or is JSON of the wrong shape at the top. */
export const brokenJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    '{',
    '}',
    '{"path":',
    '{"path":"/a"}}',
    '[1,2',
    'nul',
    'null',
    'true',
    '42',
    '"string"',
    '[]',
    '\u0000',
    '{"path":"/a","path":5}',
    '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '\ufeff{}',
    '{"a":1e99999}',
    '{"a":"\\ud800"}',
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  deepNesting,
);

/** One change to an otherwise valid-looking JSON object. */
export type Mutation =
  | { kind: 'drop'; at: number }
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'add'; key: string; value: unknown }
  | { kind: 'replace'; value: unknown };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: hostileValue }),
  fc.record({ kind: fc.constant('add' as const), key: hostileKey, value: hostileValue }),
  fc.record({ kind: fc.constant('replace' as const), value: hostileValue }),
);

export function applyMutation(body: unknown, change: Mutation): unknown {
  if (change.kind === 'replace' || typeof body !== 'object' || body === null || Array.isArray(body)) {
    return change.kind === 'replace' || change.kind === 'add' || change.kind === 'set' ? change.value : body;
  }
  const copy: Record<string, unknown> = { ...body };
  const keys = Object.keys(copy);
  if (change.kind === 'add') {
    // defineProperty: a `__proto__` key must become an own key, as JSON.parse would make it.
    Object.defineProperty(copy, change.key, { value: change.value, enumerable: true, writable: true });
    return copy;
  }
  const key = keys[change.at % Math.max(1, keys.length)];
  if (key === undefined) return copy;
  if (change.kind === 'drop') delete copy[key];
  else copy[key] = change.value;
  return copy;
}
