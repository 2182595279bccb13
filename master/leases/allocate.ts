// Allocation of new chunks at the end of a file, up to the chunk a client wants to mutate (the
// chunks before it too, so files can have holes). Each new chunk is placed on
// min(replication, live chunkservers) servers and granted to them at version 1 (the lease goes
// to the target chunk's primary); the servers that ack form its replica set; THEN addChunk is
// logged. A chunk no server took ends the allocation with UNAVAILABLE. A single new chunk comes
// from the pool of chunks created ahead of demand when it has one (chunk-pool.ts): already
// granted, so only addChunk is logged.

import { GfsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { placeReplicas } from '../chunkservers/placement.js';
import type { RecentCreations } from '../chunkservers/recent-creations.js';
import type { ChunkserverRegistry } from '../chunkservers/registry.js';
import type { FileEntry, LogRecord, MasterState } from '../state/types.js';
import type { ChunkPool, PooledChunk } from './chunk-pool.js';
import { type GrantCaller, grantAll } from './grants.js';
import type { HandleAllocator } from './handle-allocator.js';
import type { LeaseTable } from './lease-table.js';

/** Chunks allocated per step: a far-away write allocates its holes in bounded batches. */
export const ALLOCATE_CHUNKS_MAX = 256;

export interface AllocationContext {
  /** Read only here: whether a commit applied its record. */
  state: MasterState;
  commit(record: LogRecord): Promise<unknown>;
  registry: ChunkserverRegistry;
  /** New replicas per server lately: placement spreads them, and records these. */
  recent: RecentCreations;
  grant: GrantCaller;
  clock: () => number;
  leaseMs: number;
  logger: Logger;
  leases: LeaseTable;
  handles: HandleAllocator;
  /** Chunks with a grant in flight (reports leave them alone). */
  busy: Map<string, Promise<unknown>>;
  pool: ChunkPool;
}

export async function allocateChunks(
  ctx: AllocationContext,
  path: string,
  file: FileEntry,
  targetIndex: number,
): Promise<void> {
  const firstIndex = file.chunks.length;
  const count = Math.min(targetIndex - firstIndex + 1, ALLOCATE_CHUNKS_MAX);
  const live = ctx.registry.liveServers();
  if (live.length === 0) throw new GfsError('UNAVAILABLE', 'no live chunkserver to place a new chunk on', path);
  const pooled = count === 1 ? ctx.pool.take(file.replication) : undefined;
  if (pooled !== undefined) {
    await addPooledChunk(ctx, path, firstIndex, pooled);
    return;
  }
  const handles = await ctx.handles.allocate(count);
  let release: () => void = () => undefined;
  const marker = new Promise<void>((resolve) => {
    release = resolve;
  });
  for (const handle of handles) ctx.busy.set(handle, marker);
  try {
    const hints = { isOverCreationLimit: (id: string) => ctx.recent.isOverLimit(id) };
    const plans = handles.map((handle, i) => {
      const servers = placeReplicas(live, Math.min(file.replication, live.length), hints);
      for (const info of servers) ctx.recent.record(info.id);
      return { handle, index: firstIndex + i, servers };
    });
    const acks = await Promise.all(
      plans.map((plan) =>
        grantAll(ctx.grant, plan.servers, (info) => ({
          handle: plan.handle,
          version: 1,
          create: true,
          ...(plan.index === targetIndex && info === plan.servers[0] ? { leaseMs: ctx.leaseMs } : {}),
        })),
      ),
    );
    const grantedAtMs = ctx.clock();
    // Issued in one turn, in index order: the records share a commit and each check sees the last.
    const commits: Promise<unknown>[] = [];
    for (const [i, plan] of plans.entries()) {
      if ((acks[i] ?? []).length === 0) break;
      commits.push(ctx.commit({ op: 'addChunk', path, index: plan.index, handle: plan.handle, version: 1 }));
    }
    // A commit applies its record before it waits for the disk, so the chunks are the file's now:
    // their replicas and lease go in now too. Readers wait for the disk before they look (locate,
    // `gfs stat --chunks`), and must never find a new chunk without its replicas.
    for (const [i, plan] of plans.slice(0, commits.length).entries()) {
      if (!ctx.state.chunks.has(plan.handle)) continue;
      const acked = acks[i] ?? [];
      for (const info of acked) ctx.registry.addLocation(plan.handle, info.id);
      const primary = plan.servers[0];
      if (plan.index === targetIndex && primary !== undefined && acked.includes(primary)) {
        ctx.leases.set({
          handle: plan.handle,
          primaryId: primary.id,
          replicaIds: acked.map((info) => info.id),
          version: 1,
          expiresAtMs: grantedAtMs + ctx.leaseMs,
        });
        ctx.logger.info(`lease granted handle=${plan.handle} primary=${primary.id} version=1 new=true`);
      }
    }
    await Promise.all(commits);
    if (commits.length < plans.length) {
      throw new GfsError('UNAVAILABLE', 'no chunkserver accepted the new chunk', path);
    }
  } finally {
    for (const handle of handles) ctx.busy.delete(handle);
    release();
  }
}

/**
 * Makes a pooled chunk (granted ahead, its lease on its primary) chunk `index` of the file: logs
 * addChunk, with `also` in the same commit when given (the attach of a create's reserved chunk
 * logs the file's length with it), then records its replicas and its primary's lease. A chunk
 * that could not be added is deleted from its replicas.
 */
export async function addPooledChunk(
  ctx: AllocationContext,
  path: string,
  index: number,
  chunk: PooledChunk,
  also?: LogRecord,
): Promise<void> {
  const { handle, version, serverIds } = chunk;
  let release: () => void = () => undefined;
  ctx.busy.set(
    handle,
    new Promise<void>((resolve) => {
      release = resolve;
    }),
  );
  try {
    // Issued in one turn: both records share a commit, and the second's check sees the first.
    const commits = [ctx.commit({ op: 'addChunk', path, index, handle, version })];
    if (also !== undefined) commits.push(ctx.commit(also));
    // Applied already (see allocateChunks): the replicas and the lease go in before the disk wait.
    if (ctx.state.chunks.has(handle)) {
      for (const id of serverIds) ctx.registry.addLocation(handle, id);
      const primaryId = serverIds[0] as string;
      ctx.leases.set({
        handle,
        primaryId,
        replicaIds: [...serverIds],
        version,
        expiresAtMs: ctx.pool.leaseEndMs(chunk),
      });
      ctx.logger.info(`lease granted handle=${handle} primary=${primaryId} version=${version} new=true pooled=true`);
    }
    const [added, alsoDone] = await Promise.allSettled(commits);
    if (added?.status === 'rejected') {
      if (!ctx.state.chunks.has(handle)) ctx.pool.release(chunk);
      throw added.reason;
    }
    if (alsoDone?.status === 'rejected') throw alsoDone.reason;
  } finally {
    ctx.busy.delete(handle);
    release();
  }
}
