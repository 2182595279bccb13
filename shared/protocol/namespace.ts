// Master ↔ client: the namespace (DESIGN §2). Every mutation here is answered only after its
// log record is durable; reads are answered from memory.

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { REPLICATION_MAX } from '../limits.js';
import { leaseRoute } from './chunks.js';
import { Empty, HandleSchema, PathSchema } from './common.js';

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
  /** The owning user and group (issue 7; `root` for entries from before owners existed). */
  owner: Type.String(),
  group: Type.String(),
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
 * without it an existing path is ALREADY_EXISTS. With `reserveChunk` (the caller means to write
 * the file soon), the reply may name a chunk set aside for the file's chunk 0 (`reserved`, a lease
 * answer): already on its replicas with its primary's lease, but not the file's until the extend
 * after the write attaches it (extendRoute's `attach`). Absent when the master had none ready.
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
      reserveChunk: Type.Optional(Type.Boolean()),
      /**
       * Chosen by the client, the same for every attempt of one create (NFSv3's exclusive-create
       * verifier): a retry finding the file its earlier attempt made gets that file, not
       * ALREADY_EXISTS.
       */
      createId: Type.Optional(Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ ...EntrySchema.properties, reserved: Type.Optional(leaseRoute.reply) }),
);

export const statRoute = defineRoute(
  'POST',
  '/ns/stat',
  Type.Object({ path: PathSchema }, { additionalProperties: false }),
  EntrySchema,
);

/**
 * A stat for a path that may well be missing (a file system's lookup before a create): a missing
 * path (or one in the trash) answers `entry: null` rather than NOT_FOUND, which costs both ends
 * about twice what a plain answer does.
 */
export const lookupRoute = defineRoute(
  'POST',
  '/ns/lookup',
  Type.Object({ path: PathSchema }, { additionalProperties: false }),
  Type.Object({ entry: Type.Union([EntrySchema, Type.Null()]) }),
);

export const listRoute = defineRoute(
  'POST',
  '/ns/list',
  Type.Object({ path: PathSchema }, { additionalProperties: false }),
  Type.Object({ entries: Type.Array(EntrySchema) }),
);

/**
 * POSIX rename(2), atomic at the master: a file replaces an existing file; a directory replaces
 * an existing empty directory (NOT_EMPTY otherwise); a file onto a directory is IS_A_DIRECTORY, a
 * directory onto a file NOT_A_DIRECTORY; moving a directory into itself is INVALID_ARGUMENT.
 */
export const renameRoute = defineRoute(
  'POST',
  '/ns/rename',
  Type.Object({ from: PathSchema, to: PathSchema }, { additionalProperties: false }),
  Empty,
);

/**
 * Deletes a file, or a directory tree (`recursive`). With a trash retention (the master's
 * `--trash-retention`, 0 = none) it moves whole to the trash, restorable with restoreRoute until
 * the retention ends; then its chunks are deleted on the chunkservers.
 */
export const deleteRoute = defineRoute(
  'POST',
  '/ns/delete',
  Type.Object({ path: PathSchema, recursive: Type.Boolean() }, { additionalProperties: false }),
  Empty,
);

/**
 * Records that bytes up to `length` were written (the length only grows this way) and sets mtime.
 * Clients send it after the chunk writes it covers succeeded on every replica. With `attach`, the
 * chunk the file's create reserved (createRoute's `reserved`), which the client wrote, becomes the
 * file's chunk 0 in the same durable step: CHUNK_NOT_FOUND when the reservation is unknown (a
 * restarted master) or its lease ended, ALREADY_EXISTS when the file has chunks by now; the client
 * then writes the usual way (lease, write, extend).
 */
export const extendRoute = defineRoute(
  'POST',
  '/ns/extend',
  Type.Object(
    { path: PathSchema, length: Type.Integer({ minimum: 0 }), attach: Type.Optional(HandleSchema) },
    { additionalProperties: false },
  ),
  Type.Object({ size: Type.Integer({ minimum: 0 }) }),
);

/**
 * POSIX truncate: the file's length becomes `length`. Growing adds a hole (reads as zeros, no data
 * written). Shrinking releases the chunks wholly past the new end and, before the new length is
 * logged, cuts the chunk holding it on every replica (through its primary, in serial order with
 * the chunk's writes), so the cut bytes read as zeros even after the file grows again.
 */
export const truncateRoute = defineRoute(
  'POST',
  '/ns/truncate',
  Type.Object({ path: PathSchema, length: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  Empty,
);

/**
 * Copy-on-write snapshot of the file or directory tree at `from` to `to` (DESIGN §3): `to` must
 * not exist (ALREADY_EXISTS) and its parent must be a directory; `to` inside `from` is
 * INVALID_ARGUMENT. Answered once the snapshot is durable: it is readable at once, and later writes
 * to either side do not show in the other.
 */
export const snapshotRoute = defineRoute(
  'POST',
  '/ns/snapshot',
  Type.Object({ from: PathSchema, to: PathSchema }, { additionalProperties: false }),
  Empty,
);

/** Permission bits of a file or directory (kept and shown, not enforced). */
export const MODE_BITS_MAX = 0o7777;

/** A user or group name as client tokens allow them (shared/security/client-token.ts checks the charset). */
const OwnerNameSchema = Type.String({ minLength: 1, maxLength: 64 });

/** New owner and/or group: the owner only by a superuser, the group also by the owner (to one of theirs). */
export const chownRoute = defineRoute(
  'POST',
  '/ns/chown',
  Type.Object(
    { path: PathSchema, owner: Type.Optional(OwnerNameSchema), group: Type.Optional(OwnerNameSchema) },
    { additionalProperties: false },
  ),
  Empty,
);

export const chmodRoute = defineRoute(
  'POST',
  '/ns/chmod',
  Type.Object(
    { path: PathSchema, mode: Type.Integer({ minimum: 0, maximum: MODE_BITS_MAX }) },
    { additionalProperties: false },
  ),
  Empty,
);

/** Largest |mtimeMs| a JavaScript Date can hold (±100,000,000 days from 1970). */
export const MTIME_MS_ABS_MAX = 8.64e15;

/** Sets the modification time of a file or directory. */
export const utimesRoute = defineRoute(
  'POST',
  '/ns/utimes',
  Type.Object(
    { path: PathSchema, mtimeMs: Type.Number({ minimum: -MTIME_MS_ABS_MAX, maximum: MTIME_MS_ABS_MAX }) },
    { additionalProperties: false },
  ),
  Empty,
);

/**
 * Atomically grows the file by `length` bytes and answers the old length: the range
 * [offset, offset + length) is the caller's alone to fill with ordinary positioned writes
 * (O_APPEND from many clients). Durable before the answer, so a restarted master never hands out
 * an overlapping range. Until its writer's data lands, the range reads as zeros.
 */
export const reserveAppendRoute = defineRoute(
  'POST',
  '/ns/reserve-append',
  Type.Object({ path: PathSchema, length: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  Type.Object({ offset: Type.Integer({ minimum: 0 }) }),
);

export const FsStatsSchema = Type.Object({
  /** Sum of the live chunkservers' capacity (raw: every replica counts), as `gfs status` shows it. */
  capacityBytes: Type.Integer({ minimum: 0 }),
  /** Sum of the chunk bytes the live chunkservers store (raw: every replica counts; trashed files' too). */
  usedBytes: Type.Integer({ minimum: 0 }),
  /** File bytes a client can still write: free space spread over distinct servers per replica. */
  freeBytes: Type.Integer({ minimum: 0 }),
  /** Files outside the trash. */
  files: Type.Integer({ minimum: 0 }),
});
export type FsStats = Static<typeof FsStatsSchema>;

/** Cluster capacity and free space (statfs), from the live chunkservers' last heartbeats. */
export const statfsRoute = defineRoute('GET', '/ns/statfs', Type.Object({}), FsStatsSchema);

export const TrashEntrySchema = Type.Object({
  /** The path it was deleted at (or replaced at, by an overwrite or a rename). */
  path: Type.String(),
  type: Type.Union([Type.Literal('file'), Type.Literal('dir')]),
  /** Bytes of the file, or of every file in the trashed tree. */
  size: Type.Integer({ minimum: 0 }),
  /** 1 for a file; the files in the trashed tree for a directory. */
  files: Type.Integer({ minimum: 0 }),
  deletedAt: Type.String({ description: 'ISO 8601' }),
  deletedAtMs: Type.Number(),
  /** When the sweep purges it (deletion time + the master's retention). */
  expiresAt: Type.String({ description: 'ISO 8601' }),
  expiresAtMs: Type.Number(),
});
export type TrashEntry = Static<typeof TrashEntrySchema>;

/** The trash, oldest deletion first (at most TRASH_LIST_MAX, the newest; `total` is exact). */
export const trashRoute = defineRoute(
  'GET',
  '/ns/trash',
  Type.Object({}),
  Type.Object({ entries: Type.Array(TrashEntrySchema), total: Type.Integer({ minimum: 0 }) }),
);

/**
 * Brings back the most recently deleted entry at `path` (or the file or directory at `path` inside
 * a trashed directory tree), with its chunks, to `to` (default: `path`). Missing parent
 * directories are created. An existing `to` is ALREADY_EXISTS: nothing is overwritten.
 */
export const restoreRoute = defineRoute(
  'POST',
  '/ns/restore',
  Type.Object({ path: PathSchema, to: Type.Optional(PathSchema) }, { additionalProperties: false }),
  Type.Object({ path: Type.String(), deletedAtMs: Type.Number() }),
);
