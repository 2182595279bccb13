// Master ↔ client: the namespace (DESIGN §2). Every mutation here is answered only after its
// log record is durable; reads are answered from memory.

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { REPLICATION_MAX } from '../limits.js';
import { Empty, PathSchema } from './common.js';

export const EntrySchema = Type.Object({
  name: Type.String(),
  path: Type.String(),
  type: Type.Union([Type.Literal('file'), Type.Literal('dir')]),
  size: Type.Integer({ minimum: 0 }),
  /** Chunks the file spans (0 for a directory). */
  chunks: Type.Integer({ minimum: 0 }),
  replication: Type.Integer({ minimum: 0 }),
  mtime: Type.String({ description: 'ISO 8601' }),
  mtimeMs: Type.Number(),
  mode: Type.Integer({ minimum: 0 }),
});
export type Entry = Static<typeof EntrySchema>;

export const mkdirRoute = defineRoute(
  'POST',
  '/ns/mkdir',
  Type.Object({ path: PathSchema, recursive: Type.Boolean() }, { additionalProperties: false }),
  Empty,
);

/**
 * Creates a file. `overwrite` replaces an existing file with an empty one (its chunks are released);
 * without it an existing path is ALREADY_EXISTS.
 */
export const createRoute = defineRoute(
  'POST',
  '/ns/create',
  Type.Object(
    {
      path: PathSchema,
      overwrite: Type.Boolean(),
      replication: Type.Optional(Type.Integer({ minimum: 1, maximum: REPLICATION_MAX })),
      mode: Type.Optional(Type.Integer({ minimum: 0, maximum: 0o7777 })),
    },
    { additionalProperties: false },
  ),
  EntrySchema,
);

export const statRoute = defineRoute(
  'POST',
  '/ns/stat',
  Type.Object({ path: PathSchema }, { additionalProperties: false }),
  EntrySchema,
);

export const listRoute = defineRoute(
  'POST',
  '/ns/list',
  Type.Object({ path: PathSchema }, { additionalProperties: false }),
  Type.Object({ entries: Type.Array(EntrySchema) }),
);

/** POSIX rename: replaces an existing file (not a directory) atomically. */
export const renameRoute = defineRoute(
  'POST',
  '/ns/rename',
  Type.Object({ from: PathSchema, to: PathSchema }, { additionalProperties: false }),
  Empty,
);

export const deleteRoute = defineRoute(
  'POST',
  '/ns/delete',
  Type.Object({ path: PathSchema, recursive: Type.Boolean() }, { additionalProperties: false }),
  Empty,
);

/**
 * Records that bytes up to `length` were written (the length only grows this way) and sets mtime.
 * Clients send it after the chunk writes it covers succeeded on every replica.
 */
export const extendRoute = defineRoute(
  'POST',
  '/ns/extend',
  Type.Object({ path: PathSchema, length: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({ size: Type.Integer({ minimum: 0 }) }),
);
