// Master ↔ mount: directory delegations (docs/mount.md, "Small files"). A delegation makes one
// client (its holder, a random id the client picks per process) the only one that changes or reads
// the direct entries of one directory, so the holder can answer lookups, creates, writes and closes
// there from memory and send them to the cluster later (write-back), as NFSv4's directory
// delegations and CephFS's capabilities let a client do. Any other client's request that touches a
// delegated directory (see master/delegations) is answered DELEGATED and recalls the delegation:
// the holder hears of it through the recall long-poll, sends what it has, and returns it; the
// caller retries (the SDK does so by itself) and then sees everything the holder had closed.
//
// Every request a holder sends to the master carries its id in HOLDER_HEADER, so its own requests
// in its delegated directories pass. Grants and renewals are logged, so a restarted master still
// knows which directories are delegated until each one's expiry.

import { Type } from '@sinclair/typebox';
import { defineRoute } from '../http/route.js';
import { Empty, PathSchema } from './common.js';

/** The header every master request of a delegation holder carries its id in. */
export const HOLDER_HEADER = 'gfs-holder';

export const HolderSchema = Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/**
 * Asks for the delegation of the directory `path`. Granted when `path` is a directory the caller
 * may write in, nobody else holds it (or theirs expired), and it has at most LIST_ENTRIES_MAX
 * entries; then `names` lists its entries (so a lookup of any other name is answered "none" by the
 * holder) and `expiresAtMs` says until when, unless renewed. A holder asking again renews it.
 * Refused (granted: false, names empty) otherwise, including while a recall of it is pending.
 */
export const delegateRoute = defineRoute(
  'POST',
  '/ns/delegations/take',
  Type.Object({ path: PathSchema, holder: HolderSchema }, { additionalProperties: false }),
  Type.Object({ granted: Type.Boolean(), expiresAtMs: Type.Number(), names: Type.Array(Type.String()) }),
);

/**
 * Renews every delegation in `paths` the holder still has: `held` lists those renewed (until
 * `expiresAtMs`), `recalled` those among them that another client's request is waiting for (return
 * them soon: a recalled delegation is renewed only until DELEGATION_RECALL_MS_MAX after the recall),
 * `lost` those the holder no longer has (expired, or never granted).
 */
export const delegationRenewRoute = defineRoute(
  'POST',
  '/ns/delegations/renew',
  Type.Object({ holder: HolderSchema, paths: Type.Array(PathSchema) }, { additionalProperties: false }),
  Type.Object({
    held: Type.Array(Type.String()),
    recalled: Type.Array(Type.String()),
    lost: Type.Array(Type.String()),
    expiresAtMs: Type.Number(),
  }),
);

/** Gives a delegation back (its holder has sent everything it had). Returning one not held is a no-op. */
export const delegationReturnRoute = defineRoute(
  'POST',
  '/ns/delegations/return',
  Type.Object({ holder: HolderSchema, path: PathSchema }, { additionalProperties: false }),
  Empty,
);

/**
 * The holder's long-poll for recalls: answers as soon as any delegation it holds is recalled (at
 * once if one already is), or after `waitMs` with an empty list.
 */
export const delegationRecallsRoute = defineRoute(
  'POST',
  '/ns/delegations/recalls',
  Type.Object(
    { holder: HolderSchema, waitMs: Type.Integer({ minimum: 0, maximum: 60_000 }) },
    { additionalProperties: false },
  ),
  Type.Object({ recalled: Type.Array(Type.String()) }),
);
