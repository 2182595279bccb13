// Client / master ↔ chunkserver: data push, mutations in the primary's order, reads (DESIGN §3, §6).
//
// Data flow is separate from control flow:
//   PUT  /push/:dataId?chain=a:1,b:2   octet-stream body; stored in the bounded push buffer and
//                                      forwarded to the first address of `chain` (with the rest of
//                                      the chain) while it is still arriving. Replies PushReply once
//                                      this server and everyone down the chain hold the data.
//   POST /chunk/write                  client → primary: apply pushed data at an offset.
//   PUT  /chunk/write-inline?handle=&version=&offset=&secondaries=a:1,b:2
//                                      client → primary: a small write with its bytes in the body
//                                      (no push); the primary forwards them to each secondary with
//                                      its apply-inline. Replies {serial} once every replica applied.
//   PUT  /chunk/apply-inline?handle=&version=&offset=&serial=
//                                      primary → secondary: the same bytes, applied in serial order.
//                                      Both carry the body's CRC32C in x-gfs-crc32c, checked before
//                                      anything is applied.
//   POST /chunk/apply                  primary → secondary: the same mutation with its serial number.
//   POST /chunk/append                 client → primary: record append of pushed data at an offset the
//                                      primary picks (offset null: the chunk was padded, use the next).
//   POST /chunk/pad                    primary → secondary: bytes from `offset` to the chunk's end are
//                                      padding (zeros), in serial order.
//   GET  /chunk/:handle?version=&offset=&length=
//                                      octet-stream of exactly `length` bytes (zeros past the replica's
//                                      end); every 64 KiB block is CRC-checked before it is sent.
//   POST /chunk/grant                  master → replica: new version (creates a new chunk) and, for the
//                                      primary, a lease.
//   POST /chunk/grant-batch            master → replica: many grants in one request (the master's pool
//                                      of chunks created ahead of demand); one outcome per grant.
//   POST /chunk/sync                   fsync a chunk file and its metadata (SDK `sync()`).
//   POST /chunk/clone                  master → new replica: copy a chunk from `source` (re-replication).
//   POST /chunk/revoke                 master → primary: stop ordering mutations (a snapshot's first step).
//   POST /chunk/copy-local             master → replica: copy a shared chunk to a new handle (copy-on-write).

import { type Static, Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { ChunkTokenSchema } from './chunks.js';
import { AddressSchema, Empty, HandleSchema, VersionSchema } from './common.js';

/** Client-chosen id for pushed data: unique per push (random), safe in a URL. */
export const DataIdSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{8,64}$' });

export const PUSH_URL_PREFIX = '/push/';
export const READ_URL_PREFIX = '/chunk/';
export const WRITE_INLINE_URL = '/chunk/write-inline';
export const APPLY_INLINE_URL = '/chunk/apply-inline';

/** Read replies carry the replica's length, so a clone knows how much to copy. */
export const REPLICA_BYTES_HEADER = 'x-gfs-replica-bytes';
/**
 * A read that sends WANT_BODY_CRC_HEADER gets the CRC32C of the body in BODY_CRC_HEADER, so it can
 * check what crossed the network (clones do; clients' reads skip the extra pass over the bytes).
 */
export const WANT_BODY_CRC_HEADER = 'x-gfs-want-crc32c';
export const BODY_CRC_HEADER = 'x-gfs-crc32c';

export const PushReplySchema = Type.Object({ bytes: Type.Integer({ minimum: 0 }), crc32c: Type.Integer() });
export type PushReply = Static<typeof PushReplySchema>;

export function pushPath(dataId: string, chain: readonly string[]): string {
  const query = chain.length === 0 ? '' : `?chain=${encodeURIComponent(chain.join(','))}`;
  return `${PUSH_URL_PREFIX}${dataId}${query}`;
}

/** Where a client sends an inline write (data in the body, checksum in BODY_CRC_HEADER). */
export function writeInlinePath(
  handle: string,
  version: number,
  offsetBytes: number,
  secondaries: readonly string[],
): string {
  const chain = secondaries.length === 0 ? '' : `&secondaries=${encodeURIComponent(secondaries.join(','))}`;
  return `${WRITE_INLINE_URL}?handle=${handle}&version=${version}&offset=${offsetBytes}${chain}`;
}

/** Where a primary forwards an inline write to a secondary, with its serial number. */
export function applyInlinePath(handle: string, version: number, offsetBytes: number, serial: number): string {
  return `${APPLY_INLINE_URL}?handle=${handle}&version=${version}&offset=${offsetBytes}&serial=${serial}`;
}

export const WriteInlineReplySchema = Type.Object({ serial: Type.Integer({ minimum: 1 }) });
export type WriteInlineReply = Static<typeof WriteInlineReplySchema>;

export function readPath(handle: string, version: number, offsetBytes: number, lengthBytes: number): string {
  return `${READ_URL_PREFIX}${handle}?version=${version}&offset=${offsetBytes}&length=${lengthBytes}`;
}

const MutationFields = {
  handle: HandleSchema,
  version: VersionSchema,
  offset: Type.Integer({ minimum: 0 }),
  dataId: DataIdSchema,
  /** Bytes pushed under dataId, checked against what arrived (pair check). */
  length: Type.Integer({ minimum: 0 }),
};

export const writeRoute = defineRoute(
  'POST',
  '/chunk/write',
  Type.Object({ ...MutationFields, secondaries: Type.Array(AddressSchema) }, { additionalProperties: false }),
  Type.Object({ serial: Type.Integer({ minimum: 1 }) }),
);

const ApplySchema = Type.Object(
  { ...MutationFields, serial: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

export const applyRoute = defineRoute('POST', '/chunk/apply', ApplySchema, Empty);

/** Most mutations in one batched apply. */
export const APPLY_BATCH_MAX = 256;

/**
 * Several applies at once (a primary with many appends in flight sends one request per secondary
 * per turn instead of one per mutation); each is applied as /chunk/apply would, and the reply has
 * one entry per mutation: null when applied, else the error.
 */
export const applyBatchRoute = defineRoute(
  'POST',
  '/chunk/apply-batch',
  Type.Object(
    { mutations: Type.Array(ApplySchema, { minItems: 1, maxItems: APPLY_BATCH_MAX }) },
    { additionalProperties: false },
  ),
  Type.Object({
    results: Type.Array(
      Type.Union([
        Type.Null(),
        Type.Object({ code: Type.String(), message: Type.String(), subject: Type.Optional(Type.String()) }),
      ]),
    ),
  }),
);

/**
 * Record append (GFS §3.3): the primary picks the offset at the chunk's append end. When the record
 * does not fit, it pads the chunk to its end on every replica and answers `offset: null`: the
 * client appends to the file's next chunk instead.
 */
export const appendRoute = defineRoute(
  'POST',
  '/chunk/append',
  Type.Object(
    {
      handle: HandleSchema,
      version: VersionSchema,
      dataId: DataIdSchema,
      length: Type.Integer({ minimum: 1 }),
      secondaries: Type.Array(AddressSchema),
    },
    { additionalProperties: false },
  ),
  Type.Object({ offset: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) }),
);
export type AppendReply = Static<(typeof appendRoute)['reply']>;

export const padRoute = defineRoute(
  'POST',
  '/chunk/pad',
  Type.Object(
    {
      handle: HandleSchema,
      version: VersionSchema,
      offset: Type.Integer({ minimum: 0 }),
      serial: Type.Integer({ minimum: 1 }),
    },
    { additionalProperties: false },
  ),
  Empty,
);

export const grantRoute = defineRoute(
  'POST',
  '/chunk/grant',
  Type.Object(
    {
      handle: HandleSchema,
      version: VersionSchema,
      /** Present only for the primary: lease duration from receipt. */
      leaseMs: Type.Optional(Type.Integer({ minimum: 1 })),
      /** True when the chunk is new: the replica creates an empty chunk instead of expecting one. */
      create: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
  Empty,
);

/** Most grants in one batched grant. */
export const GRANT_BATCH_MAX = 256;

/**
 * Several grants at once, each done as /chunk/grant would, except that new chunks get their files
 * at once and become durable at their first sync (ChunkStore.createChunks); the reply has one entry
 * per grant: null when done, else the error.
 */
export const grantBatchRoute = defineRoute(
  'POST',
  '/chunk/grant-batch',
  Type.Object(
    { grants: Type.Array(grantRoute.body, { minItems: 1, maxItems: GRANT_BATCH_MAX }) },
    { additionalProperties: false },
  ),
  applyBatchRoute.reply,
);

export const syncRoute = defineRoute(
  'POST',
  '/chunk/sync',
  Type.Object({ handle: HandleSchema }, { additionalProperties: false }),
  Empty,
);

/**
 * Truncation of one chunk (POSIX truncate of the file that ends in it): bytes from `offset` on are
 * cut on every replica, in serial order with the chunk's writes and appends. Master → primary;
 * the primary takes a serial, cuts its replica and forwards `/chunk/apply-truncate` to the
 * secondaries; all yes → `{serial}`.
 */
export const chunkTruncateRoute = defineRoute(
  'POST',
  '/chunk/truncate',
  Type.Object(
    {
      handle: HandleSchema,
      version: VersionSchema,
      offset: Type.Integer({ minimum: 0 }),
      secondaries: Type.Array(AddressSchema),
    },
    { additionalProperties: false },
  ),
  Type.Object({ serial: Type.Integer({ minimum: 1 }) }),
);

/** Primary → secondary: the cut of /chunk/truncate with its serial number. */
export const chunkApplyTruncateRoute = defineRoute(
  'POST',
  '/chunk/apply-truncate',
  Type.Object(
    {
      handle: HandleSchema,
      version: VersionSchema,
      offset: Type.Integer({ minimum: 0 }),
      serial: Type.Integer({ minimum: 1 }),
    },
    { additionalProperties: false },
  ),
  Empty,
);

/**
 * Re-replication (GFS §4.3): the master orders a chunkserver that holds no replica of the chunk
 * to copy it from `source` (a live, up-to-date replica) at `version`. The target reads the source's
 * read path piece by piece, checks each body's CRC32C, writes through its checksummed write, and
 * only then makes the copy a chunk (its version file last). → `{sizeBytes}` once durable.
 */
export const cloneRoute = defineRoute(
  'POST',
  '/chunk/clone',
  Type.Object(
    {
      handle: HandleSchema,
      version: Type.Integer({ minimum: 1 }),
      source: AddressSchema,
      /** A read token for the chunk at `version`, which the target presents to `source`. */
      sourceToken: Type.Optional(ChunkTokenSchema),
    },
    { additionalProperties: false },
  ),
  Type.Object({ sizeBytes: Type.Integer({ minimum: 0 }) }),
);

/**
 * Lease revocation, a snapshot's first step (GFS §3.4): the primary drops its lease on the chunk
 * at `version`, so it orders no more mutations, and answers once the mutations it already ordered
 * have ended on every replica (or after REVOKE_DRAIN_MS_MAX): they land before the snapshot, not
 * after. The master then moves the chunk to a new version, which fences any straggler.
 */
export const revokeRoute = defineRoute(
  'POST',
  '/chunk/revoke',
  Type.Object({ handle: HandleSchema, version: VersionSchema }, { additionalProperties: false }),
  Empty,
);

/**
 * Copy-on-write of a chunk a snapshot shares (DESIGN §3): the master asks every replica of `from`
 * to copy it locally to the new handle `to`, at `version` (the master's version of `from`; a
 * replica at another one answers STALE_VERSION). Bytes and checksums are copied as they are, then
 * fsynced, and the version file is written last, as for a clone: a crash midway leaves files the
 * start-up scan removes. A retry that finds `to` at `version` answers its size again.
 * → `{sizeBytes}` once durable.
 */
export const copyLocalRoute = defineRoute(
  'POST',
  '/chunk/copy-local',
  Type.Object(
    { from: HandleSchema, to: HandleSchema, version: Type.Integer({ minimum: 1 }) },
    { additionalProperties: false },
  ),
  Type.Object({ sizeBytes: Type.Integer({ minimum: 0 }) }),
);
