// Master → operators: chunk health (`gfs fsck`) and the re-replication log (DESIGN §4, §7).

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { AddressSchema, HandleSchema, VersionSchema } from './common.js';

/** One chunk that is not healthy, named by the first file (and index) that holds it. */
export const ChunkHealthSchema = Type.Object({
  path: Type.String(),
  index: Type.Integer({ minimum: 0 }),
  handle: HandleSchema,
  version: VersionSchema,
  /** The replication goal: the highest of the files that hold the chunk. */
  replication: Type.Integer({ minimum: 1 }),
  /** Live, up-to-date, uncorrupted replicas. */
  replicas: Type.Array(AddressSchema),
  /** Replicas reported corrupt and not yet replaced. */
  corrupt: Type.Array(AddressSchema),
});
export type ChunkHealth = Static<typeof ChunkHealthSchema>;

/**
 * Every chunk of every file (trashed ones too) against its replication goal. `healthy` is true only
 * when the three lists are empty; each list holds at most FSCK_LIST_MAX chunks, `counts` are exact.
 * NOT_READY while a fresh master still waits for chunk reports (every chunk would look lost).
 */
export const fsckRoute = defineRoute(
  'GET',
  '/fsck',
  Type.Object({}),
  Type.Object({
    healthy: Type.Boolean(),
    chunks: Type.Integer({ minimum: 0 }),
    /** Fewer live replicas than the goal, at least one. */
    underReplicated: Type.Array(ChunkHealthSchema),
    /** No live, good replica at all. */
    lost: Type.Array(ChunkHealthSchema),
    /** A replica was reported corrupt and has not been replaced yet. */
    corrupt: Type.Array(ChunkHealthSchema),
    counts: Type.Object({
      underReplicated: Type.Integer({ minimum: 0 }),
      lost: Type.Integer({ minimum: 0 }),
      corrupt: Type.Integer({ minimum: 0 }),
    }),
  }),
);
export type FsckReport = Static<(typeof fsckRoute)['reply']>;

export const CloneRecordSchema = Type.Object({
  handle: HandleSchema,
  version: VersionSchema,
  /** Live good replicas when the clone was ordered, and the goal then. */
  replicasBefore: Type.Integer({ minimum: 0 }),
  replication: Type.Integer({ minimum: 1 }),
  source: AddressSchema,
  target: AddressSchema,
  startedAtMs: Type.Number(),
  endedAtMs: Type.Union([Type.Number(), Type.Null()]),
  /** `running`, `done`, `stale` (the chunk changed or left meanwhile: not counted) or the error code. */
  result: Type.String(),
  /**
   * `repair` (re-replication) or `rebalance` (a move: the source's replica is deleted once the
   * target's is added; `replicasBefore` and `replication` are then the live count the move keeps).
   */
  purpose: Type.Union([Type.Literal('repair'), Type.Literal('rebalance')]),
});
export type CloneRecord = Static<typeof CloneRecordSchema>;

/** The most recent clones, oldest first (CLONE_LOG_ENTRIES_MAX of them). */
export const cloneLogRoute = defineRoute(
  'GET',
  '/repair/clones',
  Type.Object({}),
  Type.Object({ clones: Type.Array(CloneRecordSchema) }),
);

/** Rebalancing progress and settings, part of `GET /status` (`repair.rebalance`). */
export const RebalanceStatusSchema = Type.Object({
  /** Moves running now. */
  inFlight: Type.Integer({ minimum: 0 }),
  /** Moves that added their replica (and had the source's deleted) since the master started. */
  done: Type.Integer({ minimum: 0 }),
  /** Moves that failed or came back stale since the master started. */
  failed: Type.Integer({ minimum: 0 }),
  /** Bytes copied by the moves done. */
  bytesMoved: Type.Integer({ minimum: 0 }),
  /** `--rebalance-rate`: bytes per second each chunkserver may move (0: rebalancing is off). */
  bytesPerSecond: Type.Integer({ minimum: 0 }),
  /** `--rebalance-threshold` in percentage points. */
  thresholdPercent: Type.Number({ minimum: 0 }),
  /** Live chunkservers whose disk use is now more than the threshold above / below the mean. */
  overFull: Type.Integer({ minimum: 0 }),
  underFull: Type.Integer({ minimum: 0 }),
});
export type RebalanceStatus = Static<typeof RebalanceStatusSchema>;

/** Re-replication progress, part of `GET /status`. */
export const RepairStatusSchema = Type.Object({
  /** Clones running now. */
  inFlight: Type.Integer({ minimum: 0 }),
  /** Clones that added a replica since the master started. */
  done: Type.Integer({ minimum: 0 }),
  /** Clones that failed (or came back stale) since the master started. */
  failed: Type.Integer({ minimum: 0 }),
  /** Under-replicated chunks waiting for a clone (at the last scan, minus those repaired since). */
  waiting: Type.Integer({ minimum: 0 }),
  /** Chunks with no live good replica at the last scan: nothing to clone from. */
  lost: Type.Integer({ minimum: 0 }),
  /** Replicas deleted since the master started because their chunk had more than its goal. */
  trimmed: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Rebalancing (moves of replicas from over-full to under-full chunkservers). */
  rebalance: Type.Optional(RebalanceStatusSchema),
});
export type RepairStatus = Static<typeof RepairStatusSchema>;
