// The master's half of the mutation protocol (DESIGN §3 step 2): finds or allocates the chunk a
// client wants to mutate and makes sure one replica holds a lease on it. A chunk a snapshot shares
// is copied first (copy-on-write.ts): the lease goes to the file's own copy.
//
// Order of a version bump: tell the replicas first, log second. If the master dies in between,
// the replicas report the higher version at restart and the master adopts it (reports.ts); a
// replica that did not ack stays at the old version and is stale forever.

import { GfsError } from '../../shared/errors.js';
import { HOLE_CHUNKS_PER_LEASE_MAX } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import type { LeaseGrant } from '../../shared/protocol/chunks.js';
import type { RecentCreations } from '../chunkservers/recent-creations.js';
import type { ChunkserverInfo, ChunkserverRegistry } from '../chunkservers/registry.js';
import type { StartupGate } from '../chunkservers/startup-gate.js';
import { isShared } from '../state/file-snapshot.js';
import type { FileEntry, LogRecord, MasterState } from '../state/types.js';
import { addPooledChunk, allocateChunks } from './allocate.js';
import { ChunkPool, type GrantBatchCaller } from './chunk-pool.js';
import { type CopyLocalCaller, copyOnWrite } from './copy-on-write.js';
import { type GrantBody, type GrantCaller, grantAll } from './grants.js';
import { HandleAllocator } from './handle-allocator.js';
import { type Lease, LeaseTable } from './lease-table.js';

export interface LeaseManagerDeps {
  state: MasterState;
  commit(record: LogRecord): Promise<unknown>;
  registry: ChunkserverRegistry;
  recent: RecentCreations;
  gate: StartupGate;
  grant: GrantCaller;
  /** Orders a replica to copy a shared chunk locally (copy-on-write). */
  copyLocal: CopyLocalCaller;
  /** Many grants to one chunkserver in one request (the chunk pool's refills); absent, one call each. */
  grantBatch?: GrantBatchCaller;
  clock: () => number;
  leaseMs: number;
  /** The master's default replication (the chunk pool's chunks have it). */
  replication: number;
  /** Chunks created ahead of demand, and reservations of them at most (chunk-pool.ts); 0 turns the pool off. */
  chunkPool: { chunksMax: number; reservedMax: number };
  logger: Logger;
  /** Re-replication's say on leases; absent, leases ignore repair. */
  repair?: LeaseRepairHooks;
}

/**
 * A chunk under a lease is not cloned (a clone must not miss a write, see the scheduler), so a
 * chunk that keeps being written would never be repaired. These hooks let re-replication get in:
 * an under-replicated chunk's lease is not extended, and before the next lease is granted, the
 * chunk's clone runs (lease requests wait for it, as they wait for a version bump).
 */
export interface LeaseRepairHooks {
  /** False while the chunk waits for a clone that only its lease holds back. */
  mayExtend(handle: string): boolean;
  /** Called before a chunk without a valid lease gets one: the clone started now, if any. */
  beforeGrant(handle: string): Promise<unknown> | undefined;
}

/** Bound on re-tries of a bump within one request when the chosen primary does not ack. */
const BUMP_ATTEMPTS_MAX = 3;

export class LeaseManager {
  readonly leases = new LeaseTable();
  readonly handles: HandleAllocator;
  readonly pool: ChunkPool;
  /** Chunks with a grant in flight → the request doing it; others wait for it, then look again. */
  private readonly busy = new Map<string, Promise<unknown>>();
  /** Files with a chunk allocation in flight. */
  private readonly allocating = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: LeaseManagerDeps) {
    this.handles = new HandleAllocator(deps.state, deps.commit);
    const grant = deps.grant;
    this.pool = new ChunkPool({
      registry: deps.registry,
      recent: deps.recent,
      handles: this.handles,
      grantBatch: deps.grantBatch ?? ((address, bodies) => grantEach(grant, address, bodies)),
      clock: deps.clock,
      leaseMs: deps.leaseMs,
      replication: deps.replication,
      ...deps.chunkPool,
      logger: deps.logger,
    });
  }

  /** A grant, clone or attach is in flight for the chunk, or it waits in the pool: reports leave it alone. */
  isBusy(handle: string): boolean {
    return this.busy.has(handle) || this.pool.holds(handle);
  }

  /** A chunkserver registered again (restarted): the leases it held are gone with it. */
  forgetPrimary(serverId: string): void {
    this.leases.forgetPrimary(serverId);
    this.pool.forgetPrimary(serverId);
  }

  /**
   * For a create that expects its file to be written: a pooled chunk reserved to become the file's
   * chunk 0, as a lease answer (handle, version, primary, secondaries, lease time left). The client
   * writes to it and then attaches it with its extend (`attachFirstChunk`). Undefined when the pool
   * has none (the client then writes the usual way).
   */
  reserveFirstChunk(replication: number): LeaseGrant | undefined {
    const chunk = this.pool.reserve(replication);
    if (chunk === undefined) return undefined;
    const now = this.deps.clock();
    return this.reply(
      {
        handle: chunk.handle,
        version: chunk.version,
        primaryId: chunk.serverIds[0] as string,
        replicaIds: chunk.serverIds,
        expiresAtMs: this.pool.leaseEndMs(chunk),
      },
      now,
    );
  }

  /**
   * The extend of a file written whole into the chunk its create reserved: that chunk becomes the
   * file's chunk 0 and the length `length`, in one commit. CHUNK_NOT_FOUND when the reservation is
   * unknown (a restarted master) or its lease is over, ALREADY_EXISTS when the file has chunks by
   * now: the client then writes the usual way.
   */
  async attachFirstChunk(path: string, handle: string, length: number, mtimeMs: number): Promise<void> {
    const chunk = this.pool.claim(handle);
    if (chunk === undefined) {
      throw new GfsError('CHUNK_NOT_FOUND', 'the reserved chunk is no longer available', handle);
    }
    const file = this.deps.state.entries.get(path);
    if (file?.type !== 'file' || file.chunks.length > 0) {
      this.pool.release(chunk);
      if (file === undefined) throw new GfsError('NOT_FOUND', 'no such file', path);
      if (file.type !== 'file') throw new GfsError('IS_A_DIRECTORY', 'is a directory', path);
      throw new GfsError('ALREADY_EXISTS', 'the file has chunks already', path);
    }
    await addPooledChunk(this.allocationContext(), path, 0, chunk, { op: 'extend', path, length, mtimeMs });
    this.pool.noteAttached();
  }

  /** True while a lease on the chunk's current version is valid (as the master sees it). */
  leaseHeld(handle: string): boolean {
    const meta = this.deps.state.chunks.get(handle);
    return meta !== undefined && this.leases.valid(handle, meta.version, this.deps.clock()) !== undefined;
  }

  /** What a chunk with a grant, clone, copy or fence in flight waits for; undefined when idle. */
  pending(handle: string): Promise<unknown> | undefined {
    return this.busy.get(handle);
  }

  /**
   * Holds the chunk while `work` (a clone, or a snapshot's fence) runs: lease requests wait for it,
   * reports and lease extensions leave the chunk alone. The caller checked the chunk is not busy
   * (and, for a clone, not leased), in the same synchronous step.
   */
  hold(handle: string, work: Promise<unknown>): void {
    const held = work.finally(() => {
      if (this.busy.get(handle) === held) this.busy.delete(handle);
    });
    held.catch(() => undefined);
    this.busy.set(handle, held);
  }

  /** The chunk at (path, index) with its primary and secondaries, allocating it when needed. */
  async lease(path: string, index: number): Promise<LeaseGrant> {
    if (!this.deps.gate.isReady()) throw new GfsError('NOT_READY', 'master is waiting for chunk reports', path);
    for (;;) {
      const file = this.requireFile(path);
      const handle = file.chunks[index];
      if (handle !== undefined) {
        const grant = await this.leaseExisting(path, index, handle);
        if (grant !== undefined) return grant;
        // The file's chunk was copied on write (or the path names another file now): look again.
        continue;
      }
      if (index - file.chunks.length > HOLE_CHUNKS_PER_LEASE_MAX) {
        throw new GfsError(
          'INVALID_ARGUMENT',
          `chunk ${index} is more than ${HOLE_CHUNKS_PER_LEASE_MAX} chunks past the file's last (${file.chunks.length - 1})`,
          path,
        );
      }
      const pending = this.allocating.get(path);
      if (pending !== undefined) {
        await pending.catch(() => undefined);
        continue;
      }
      const allocation = allocateChunks(this.allocationContext(), path, file, index);
      this.allocating.set(path, allocation);
      try {
        await allocation;
      } finally {
        this.allocating.delete(path);
      }
    }
  }

  /**
   * Record append's target (DESIGN §3): the file's last chunk, or, when the client found chunk
   * `after` full, the chunk after it. Allocation is shared through `allocating`, and a caller whose
   * `after` is no longer the last chunk simply gets the newer last chunk: one new chunk per fill.
   */
  async appendLease(path: string, after: number | undefined): Promise<LeaseGrant & { index: number }> {
    const last = this.requireFile(path).chunks.length - 1;
    const index = last < 0 ? 0 : after !== undefined && after >= last ? last + 1 : last;
    return { ...(await this.lease(path, index)), index };
  }

  /** Address of the chunk's current lease holder, or null when no lease is valid. */
  primaryAddressOf(handle: string): string | null {
    const meta = this.deps.state.chunks.get(handle);
    if (meta === undefined) return null;
    const lease = this.leases.valid(handle, meta.version, this.deps.clock());
    return lease === undefined ? null : (this.deps.registry.servers.get(lease.primaryId)?.address ?? null);
  }

  /** Lease extensions asked for in a heartbeat: only for chunks this server is the current primary of. */
  extend(serverId: string, handles: readonly string[]): Array<{ handle: string; version: number; leaseMs: number }> {
    const now = this.deps.clock();
    const extended: Array<{ handle: string; version: number; leaseMs: number }> = [];
    for (const handle of handles) {
      const meta = this.deps.state.chunks.get(handle);
      if (meta === undefined) continue;
      const lease = this.leases.valid(handle, meta.version, now);
      if (lease === undefined || lease.primaryId !== serverId || this.busy.has(handle)) continue;
      if (this.deps.repair?.mayExtend(handle) === false) continue;
      lease.expiresAtMs = now + this.deps.leaseMs;
      extended.push({ handle, version: lease.version, leaseMs: this.deps.leaseMs });
    }
    return extended;
  }

  private requireFile(path: string): FileEntry {
    const entry = this.deps.state.entries.get(path);
    if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file', path);
    if (entry.type !== 'file') throw new GfsError('IS_A_DIRECTORY', 'is a directory', path);
    return entry;
  }

  /** True when the path now names another chunk at `index` (copied on write, or another file). */
  private replacedMeanwhile(path: string, index: number, handle: string): boolean {
    const entry = this.deps.state.entries.get(path);
    const current = entry?.type === 'file' ? entry.chunks[index] : undefined;
    return current !== undefined && current !== handle;
  }

  private allocationContext() {
    return { ...this.deps, leases: this.leases, handles: this.handles, busy: this.busy, pool: this.pool };
  }

  /** The lease on chunk `index` of the file, which was `handle`; undefined when it no longer is. */
  private async leaseExisting(path: string, index: number, handle: string): Promise<LeaseGrant | undefined> {
    let repaired = false;
    let lease: Lease | undefined;
    let now: number;
    for (;;) {
      const pending = this.busy.get(handle);
      if (pending !== undefined) {
        await pending.catch(() => undefined);
        if (this.replacedMeanwhile(path, index, handle)) return undefined;
        continue;
      }
      const meta = this.deps.state.chunks.get(handle);
      if (meta === undefined) throw new GfsError('NOT_FOUND', 'chunk no longer belongs to the file', path);
      // Shared with a snapshot: no lease on it ever again while it is; this file gets its own copy.
      if (isShared(this.deps.state, handle)) {
        await copyOnWrite(this.allocationContext(), path, index, handle);
        return undefined;
      }
      now = this.deps.clock();
      lease = this.leases.valid(handle, meta.version, now);
      // A new lease is due: a clone waiting for that moment goes first (once per request).
      const clone = lease === undefined && !repaired ? this.deps.repair?.beforeGrant(handle) : undefined;
      if (clone === undefined) break;
      repaired = true;
      await clone.catch(() => undefined);
      if (this.replacedMeanwhile(path, index, handle)) return undefined;
    }
    let preferredPrimary = lease?.primaryId;
    if (lease !== undefined) {
      if (lease.replicaIds.every((id) => this.deps.registry.isAliveId(id, now))) return this.reply(lease, now);
      // A replica died: bump the version so it becomes stale instead of coming back current but
      // missing writes. A dead primary is replaced at once rather than after its lease runs out
      // (GFS waits): should it still be alive behind a partition, none of its writes can succeed,
      // because a write needs every replica of the client's lease, and the ones that took the new
      // version refuse the old one. Failover takes --dead-after, not --lease.
      if (!this.deps.registry.isAliveId(lease.primaryId, now)) preferredPrimary = undefined;
    }
    const bump = this.bump(handle, preferredPrimary);
    this.busy.set(handle, bump);
    try {
      return await bump;
    } finally {
      this.busy.delete(handle);
    }
  }

  /** Version bump + lease grant to the live up-to-date replicas; tell them first, log second. */
  private async bump(handle: string, preferredPrimary: string | undefined): Promise<LeaseGrant> {
    const { registry, clock, leaseMs, logger } = this.deps;
    let preferred = preferredPrimary;
    for (let attempt = 0; attempt < BUMP_ATTEMPTS_MAX; attempt++) {
      const meta = this.deps.state.chunks.get(handle);
      if (meta === undefined) throw new GfsError('NOT_FOUND', 'chunk was deleted', handle);
      const replicas = registry.liveHolders(handle);
      if (replicas.length === 0) throw new GfsError('UNAVAILABLE', 'no live up-to-date replica of the chunk', handle);
      const primary = choosePrimary(replicas, preferred);
      const version = meta.version + 1;
      const acked = await grantAll(this.deps.grant, replicas, (info) => ({
        handle,
        version,
        create: false,
        ...(info === primary ? { leaseMs } : {}),
      }));
      if (acked.length === 0) throw new GfsError('UNAVAILABLE', 'no replica accepted the new version', handle);
      const grantedAtMs = clock();
      await this.deps.commit({ op: 'setVersion', handle, version });
      registry.setHolders(
        handle,
        acked.map((info) => info.id),
      );
      if (!acked.includes(primary)) {
        logger.warn(`primary did not ack grant handle=${handle} primary=${primary.id} version=${version}`);
        preferred = undefined;
        continue;
      }
      const lease = {
        handle,
        primaryId: primary.id,
        replicaIds: acked.map((info) => info.id),
        version,
        expiresAtMs: grantedAtMs + leaseMs,
      };
      this.leases.set(lease);
      logger.info(`lease granted handle=${handle} primary=${primary.id} version=${version} replicas=${acked.length}`);
      return this.reply(lease, grantedAtMs);
    }
    throw new GfsError('UNAVAILABLE', 'no primary accepted the lease, retry', handle);
  }

  private reply(
    lease: { primaryId: string; replicaIds: string[]; handle: string; version: number; expiresAtMs: number },
    now: number,
  ): LeaseGrant {
    const { registry } = this.deps;
    const primary = registry.servers.get(lease.primaryId) as ChunkserverInfo;
    const secondaries: string[] = [];
    for (const id of lease.replicaIds) {
      if (id === lease.primaryId) continue;
      const info = registry.servers.get(id);
      if (info !== undefined) secondaries.push(info.address);
    }
    return {
      handle: lease.handle,
      version: lease.version,
      primary: primary.address,
      secondaries,
      leaseMs: Math.max(0, lease.expiresAtMs - now),
      chunkSize: this.deps.state.chunkSizeBytes,
    };
  }
}

/** A grant batch sent as one grant call each (when no batch caller is given). */
async function grantEach(grant: GrantCaller, address: string, bodies: readonly GrantBody[]): Promise<unknown[]> {
  const results = await Promise.allSettled(bodies.map((body) => grant(address, body)));
  return results.map((result) => (result.status === 'rejected' ? result.reason : undefined));
}

function choosePrimary(replicas: readonly ChunkserverInfo[], preferredId: string | undefined): ChunkserverInfo {
  const preferred = replicas.find((info) => info.id === preferredId);
  if (preferred !== undefined) return preferred;
  return [...replicas].sort((a, b) => a.usedBytes - b.usedBytes || (a.id < b.id ? -1 : 1))[0] as ChunkserverInfo;
}
