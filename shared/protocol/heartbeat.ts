// Chunkserver ↔ master: registration with a full chunk report, heartbeats, corruption reports
// (DESIGN §4). Chunk locations are learned only from these, never logged.

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { AddressSchema, Empty, HandleSchema, VersionSchema } from './common.js';
import { RepairStatusSchema } from './health.js';

export const ChunkReportSchema = Type.Object({
  handle: HandleSchema,
  version: VersionSchema,
  /** Bytes the replica holds (its chunk file's length). */
  size: Type.Integer({ minimum: 0 }),
});
export type ChunkReport = Static<typeof ChunkReportSchema>;

const IdSchema = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' });

const CapacitySchema = {
  capacityBytes: Type.Integer({ minimum: 0 }),
  usedBytes: Type.Integer({ minimum: 0 }),
};

export const registerRoute = defineRoute(
  'POST',
  '/cs/register',
  Type.Object(
    {
      id: IdSchema,
      address: AddressSchema,
      rack: Type.String({ maxLength: 128 }),
      ...CapacitySchema,
      chunks: Type.Array(ChunkReportSchema),
    },
    { additionalProperties: false },
  ),
  Type.Object({
    chunkSize: Type.Integer({ minimum: 1 }),
    /** Replicas the master does not want (stale versions, unknown handles): delete them. */
    deleteHandles: Type.Array(HandleSchema),
  }),
);

export const heartbeatRoute = defineRoute(
  'POST',
  '/cs/heartbeat',
  Type.Object(
    {
      id: IdSchema,
      ...CapacitySchema,
      /** Chunks this server is primary for and still mutating: asks for lease extensions. */
      extendLeases: Type.Array(HandleSchema),
      /** A full chunk report, sent every few heartbeats so orphans and stale replicas are found. */
      chunks: Type.Optional(Type.Array(ChunkReportSchema)),
    },
    { additionalProperties: false },
  ),
  Type.Object({
    leases: Type.Array(Type.Object({ handle: HandleSchema, version: VersionSchema, leaseMs: Type.Integer() })),
    deleteHandles: Type.Array(HandleSchema),
  }),
);

/** A replica failed its checksum: the master stops handing it out and has it deleted. */
export const corruptRoute = defineRoute(
  'POST',
  '/cs/corrupt',
  Type.Object({ id: IdSchema, handle: HandleSchema }, { additionalProperties: false }),
  Empty,
);

export const ChunkserverStatusSchema = Type.Object({
  id: Type.String(),
  address: AddressSchema,
  rack: Type.String(),
  alive: Type.Boolean(),
  chunks: Type.Integer({ minimum: 0 }),
  bytesUsed: Type.Integer({ minimum: 0 }),
  capacityBytes: Type.Integer({ minimum: 0 }),
  lastHeartbeatMs: Type.Number(),
});

/** Cluster health for `gfs status` (DESIGN §7 --json shape). */
export const statusRoute = defineRoute(
  'GET',
  '/status',
  Type.Object({}),
  Type.Object({
    master: Type.String(),
    ready: Type.Boolean(),
    chunkSize: Type.Integer(),
    chunkservers: Type.Array(ChunkserverStatusSchema),
    /** Files outside the trash (what `ls` shows). */
    files: Type.Integer({ minimum: 0 }),
    /** Files in the trash (deleted, not yet purged); their chunks still count in `chunks`. */
    trashedFiles: Type.Integer({ minimum: 0 }),
    /** Every chunk in the chunk table: live files' and trashed files'. */
    chunks: Type.Integer({ minimum: 0 }),
    underReplicated: Type.Integer({ minimum: 0 }),
    repair: RepairStatusSchema,
  }),
);
export type ClusterStatus = Static<(typeof statusRoute)['reply']>;

export { AddressSchema };
