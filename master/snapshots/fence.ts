// A snapshot's fence on one chunk (GFS §3.4 "revokes any outstanding leases"): afterwards no
// mutation ordered under any earlier lease can land on any replica the master still counts.
//
// 1. The primary of the chunk's last lease at its current version (valid or not: mutations it
//    ordered may still be on their way) gets `POST /chunk/revoke`: it orders nothing more and
//    answers once what it ordered has ended on every replica, so those writes land before the
//    snapshot rather than after it. A primary that cannot be reached is fenced by step 2 anyway.
// 2. Every live up-to-date replica is granted version + 1 without a lease, as a version bump is
//    (tell first, log second). A replica stores the version durably under the chunk's write lock
//    (a write in progress finishes first), drops its lease and the mutations queued at the old
//    version, and refuses every later request stamped with it. Replicas that do not acknowledge
//    are stale from then on (never handed out, deleted at their next report).
// The master holds the chunk (busy) meanwhile, so no lease is granted or extended in between.

import { GfsError } from '../../shared/errors.js';
import type { BodyOf } from '../../shared/http/route.js';
import type { Logger } from '../../shared/log.js';
import type { revokeRoute } from '../../shared/protocol/data.js';
import type { ChunkserverRegistry } from '../chunkservers/registry.js';
import { type GrantCaller, grantAll } from '../leases/grants.js';
import type { LeaseTable } from '../leases/lease-table.js';
import type { LogRecord, MasterState } from '../state/types.js';

export type RevokeBody = BodyOf<typeof revokeRoute>;
/** Sends `POST /chunk/revoke` to a primary; resolves once its ordered mutations have ended. */
export type RevokeCaller = (address: string, body: RevokeBody) => Promise<void>;

export interface FenceContext {
  state: MasterState;
  registry: ChunkserverRegistry;
  leases: LeaseTable;
  grant: GrantCaller;
  revoke: RevokeCaller;
  commit(record: LogRecord): Promise<unknown>;
  logger: Logger;
}

/**
 * Fences one chunk the caller holds. A chunk no live server holds has nothing reachable to fence
 * and is left as it is (docs/design.md § Snapshots says what that means); one whose live replicas
 * all refuse the new version fails the snapshot (UNAVAILABLE, nothing logged for it).
 */
export async function fenceChunk(ctx: FenceContext, handle: string): Promise<void> {
  const { state, registry, logger } = ctx;
  const meta = state.chunks.get(handle);
  const holders = registry.liveHolders(handle);
  if (meta === undefined || holders.length === 0) return;
  const version = meta.version;
  const lease = ctx.leases.get(handle);
  const primary = lease?.version === version ? registry.servers.get(lease.primaryId) : undefined;
  if (primary !== undefined && registry.isAlive(primary)) {
    await ctx.revoke(primary.address, { handle, version }).catch((error: unknown) => {
      logger.warn(`lease revoke failed handle=${handle} primary=${primary.id} error=${String(error)}`);
    });
  }
  const acked = await grantAll(ctx.grant, holders, () => ({ handle, version: version + 1, create: false }));
  if (acked.length === 0) throw new GfsError('UNAVAILABLE', 'no replica of the chunk took its new version', handle);
  ctx.leases.forget(handle);
  // Deleted meanwhile (its file went while the grants were out): nothing left to fence.
  if (state.chunks.get(handle) !== meta) return;
  await ctx.commit({ op: 'setVersion', handle, version: version + 1 });
  registry.setHolders(
    handle,
    acked.map((info) => info.id),
  );
  logger.info(`chunk fenced for a snapshot handle=${handle} version=${version + 1} replicas=${acked.length}`);
}
