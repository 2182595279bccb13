// Master ↔ client: where a file's chunks live, and who holds the lease to mutate one (DESIGN §3).

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { SEALED_TOKEN_CHARS_MAX } from '../security/sealed-token.js';
import { AddressSchema, HandleSchema, PathSchema, VersionSchema } from './common.js';

/**
 * A chunk access token (shared/security/chunk-token.ts) the client sends back with each data
 * request for the chunk, in the x-gfs-chunk-token header. Absent from a master run with --insecure.
 */
export const ChunkTokenSchema = Type.String({ minLength: 1, maxLength: SEALED_TOKEN_CHARS_MAX });

export const ChunkLocationSchema = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  handle: HandleSchema,
  version: VersionSchema,
  /** Up-to-date live replicas only; a stale replica is never handed out. */
  replicas: Type.Array(AddressSchema),
  /** Read token for this chunk at this version. */
  token: Type.Optional(ChunkTokenSchema),
});
export type ChunkLocation = Static<typeof ChunkLocationSchema>;

/**
 * Locations of `count` chunks from `index` on (GFS prefetches following chunks). Chunks past the
 * file's end are simply absent. NOT_READY while a fresh master still waits for chunk reports.
 */
export const locateRoute = defineRoute(
  'POST',
  '/chunks/locate',
  Type.Object(
    { path: PathSchema, index: Type.Integer({ minimum: 0 }), count: Type.Integer({ minimum: 1, maximum: 1024 }) },
    { additionalProperties: false },
  ),
  Type.Object({
    chunkSize: Type.Integer({ minimum: 1 }),
    size: Type.Integer({ minimum: 0 }),
    chunks: Type.Array(ChunkLocationSchema),
  }),
);

/**
 * The chunk at `index` of a file with its primary and secondaries, for a mutation. Allocates the
 * chunk (and any before it) when the file ends earlier, and grants a lease when none is held.
 */
export const leaseRoute = defineRoute(
  'POST',
  '/chunks/lease',
  Type.Object({ path: PathSchema, index: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({
    handle: HandleSchema,
    version: VersionSchema,
    primary: AddressSchema,
    secondaries: Type.Array(AddressSchema),
    /** How long the client may cache this answer; the primary enforces the lease itself. */
    leaseMs: Type.Integer({ minimum: 0 }),
    chunkSize: Type.Integer({ minimum: 1 }),
    /** Write token for this chunk at this version: push, write, append, sync. */
    token: Type.Optional(ChunkTokenSchema),
  }),
);
export type LeaseGrant = Static<(typeof leaseRoute)['reply']>;

/**
 * Record append's target: the file's last chunk with its primary and secondaries. With `after`,
 * the client was told chunk `after` is full: the master allocates chunk `after + 1` unless the
 * file already has a later chunk, so however many clients ask at once, one chunk is created.
 * An empty file gets its first chunk.
 */
export const appendLeaseRoute = defineRoute(
  'POST',
  '/chunks/append-lease',
  Type.Object(
    { path: PathSchema, after: Type.Optional(Type.Integer({ minimum: 0 })) },
    { additionalProperties: false },
  ),
  Type.Object({ ...leaseRoute.reply.properties, index: Type.Integer({ minimum: 0 }) }),
);
export type AppendLeaseGrant = Static<(typeof appendLeaseRoute)['reply']>;

/** Detailed chunk list of a file for `gfs stat --chunks`. */
export const fileChunksRoute = defineRoute(
  'POST',
  '/chunks/of-file',
  Type.Object({ path: PathSchema }, { additionalProperties: false }),
  Type.Object({
    chunks: Type.Array(
      Type.Object({
        index: Type.Integer({ minimum: 0 }),
        handle: HandleSchema,
        version: VersionSchema,
        size: Type.Integer({ minimum: 0 }),
        replicas: Type.Array(AddressSchema),
        /** The replica holding the chunk's lease now, if any (diagnostics; tests kill it). */
        primary: Type.Union([AddressSchema, Type.Null()]),
      }),
    ),
  }),
);
