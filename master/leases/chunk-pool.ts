// Chunks created ahead of demand (issue 4, small files): each is placed like any new chunk,
// created at version 1 on its replicas with the lease granted to its primary, and waits here,
// unlogged, until a file takes it. Taking one needs no round trip to a chunkserver: allocation
// only logs addChunk; a create may also reserve one for the file's first chunk, which the extend
// after the client's write attaches (lease-manager.ts).
//
// Bounds and lifetimes. At most `chunksMax` chunks wait here, and only as many as demand calls for:
// twice the chunks taken in the last second, at least CHUNK_POOL_READY_MIN, so a stream of small
// files gets the whole pool while a big file (a new chunk every second or so) gets a few and makes
// no work for chunks it would never use. One refill (one grant-batch request per chunkserver) runs
// at a time, and only after demand: an idle master creates nothing. A pooled
// chunk is handed out while at least half of the time its primary takes writes under the lease
// is left (lease − LEASE_SAFETY_MARGIN_MS: the primary stops that much before the master's end);
// older ones, and reservations not attached within their lease, are deleted from their
// chunkservers (heartbeat replies) and never reused, since a client may have written to a
// reserved chunk. A chunk whose replicas are not all alive, or whose primary registered again (it
// forgot its leases), is dropped the same way. With leases so short that this leaves less than
// CHUNK_POOL_USABLE_MS_MIN (tests' 3–5 s), there is no pool: its chunks would mostly age unused.
//
// Pooled and reserved handles count as busy for chunk reports: they are in no file yet, so a
// report would take them for orphans. After a master restart the pool is empty and the chunks it
// held are orphans that reports delete; their handles are never reused (the handle counter's
// reservation is logged, handle-allocator.ts).

import {
  CHUNK_POOL_DEMAND_WINDOW_MS,
  CHUNK_POOL_READY_MIN,
  CHUNK_POOL_USABLE_MS_MIN,
  LEASE_SAFETY_MARGIN_MS,
} from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import { placeBatch } from '../chunkservers/batch-placement.js';
import type { RecentCreations } from '../chunkservers/recent-creations.js';
import type { ChunkserverRegistry } from '../chunkservers/registry.js';
import type { GrantBody } from './grants.js';
import type { HandleAllocator } from './handle-allocator.js';

/** A new chunk's version: the one every pooled chunk is created at. */
const POOLED_VERSION = 1;

/** Sends several grants to one chunkserver; resolves with one outcome per grant (undefined: taken). */
export type GrantBatchCaller = (address: string, bodies: GrantBody[]) => Promise<unknown[]>;

export interface PooledChunk {
  handle: string;
  version: number;
  /** The replicas' server ids, primary (the lease holder) first. */
  serverIds: string[];
  /** When the last replica acked: the lease runs from here (the master's view, never shorter than the primary's). */
  grantedAtMs: number;
}

export interface ChunkPoolDeps {
  registry: ChunkserverRegistry;
  recent: RecentCreations;
  handles: HandleAllocator;
  grantBatch: GrantBatchCaller;
  clock: () => number;
  leaseMs: number;
  /** The master's default replication: only files with it take pooled chunks. */
  replication: number;
  /** Chunks kept ready at most (0: no pool). */
  chunksMax: number;
  /** Reservations waiting for their extend at most; beyond it creates reserve nothing. */
  reservedMax: number;
  logger: Logger;
}

export class ChunkPool {
  /** Ready chunks, oldest first. */
  private ready: PooledChunk[] = [];
  /** Chunks handed to a create for the file's first chunk, until its extend attaches them. */
  private readonly reserved = new Map<string, PooledChunk>();
  /** Every handle above, and those being created. */
  private readonly held = new Set<string>();
  private creatingCount = 0;
  private refilling: Promise<void> | undefined;
  /** Takes since the running refill started: another refill follows it only after demand. */
  private demand = 0;
  /** When the latest takes happened (at most chunksMax, oldest first): how many chunks to keep. */
  private readonly takenAtMs: number[] = [];
  /** Counts for /metrics: chunks handed to allocations or reservations, attached reservations, dropped chunks. */
  readonly counts = { taken: 0, attached: 0, dropped: 0 };

  /** How long after its grant a pooled chunk may be handed out (0: no pool). */
  private readonly usableMs: number;

  constructor(private readonly deps: ChunkPoolDeps) {
    const usableMs = (deps.leaseMs - LEASE_SAFETY_MARGIN_MS) / 2;
    this.usableMs = deps.chunksMax > 0 && usableMs >= CHUNK_POOL_USABLE_MS_MIN ? usableMs : 0;
  }

  /** Chunks ready to be taken now (for metrics and tests). */
  get readyCount(): number {
    return this.ready.length;
  }

  /** True for a pooled, reserved or being-created handle: it is in no file, but no orphan either. */
  holds(handle: string): boolean {
    return this.held.has(handle);
  }

  /**
   * A ready chunk for a new chunk of a file with `replication` replicas, or undefined when there is
   * none that fits (the caller grants a new one as before). Either way the pool refills behind it.
   */
  take(replication: number): PooledChunk | undefined {
    if (this.usableMs === 0 || replication !== this.deps.replication) return undefined;
    const now = this.deps.clock();
    const wanted = Math.min(replication, this.deps.registry.liveServers(now).length);
    let taken: PooledChunk | undefined;
    for (let chunk = this.ready.shift(); chunk !== undefined && taken === undefined; chunk = this.ready.shift()) {
      if (this.isReady(chunk, now) && chunk.serverIds.length === wanted) taken = chunk;
      else this.discard(chunk, 'no longer fits');
    }
    if (taken !== undefined) {
      this.held.delete(taken.handle);
      this.counts.taken++;
    }
    this.demand++;
    this.takenAtMs.push(now);
    if (this.takenAtMs.length > this.deps.chunksMax) this.takenAtMs.shift();
    this.refill();
    return taken;
  }

  /** Takes a chunk for a create: it stays held until `claim` (by the extend) or its lease's end. */
  reserve(replication: number): PooledChunk | undefined {
    if (this.reserved.size >= this.deps.reservedMax) return undefined;
    const chunk = this.take(replication);
    if (chunk === undefined) return undefined;
    this.reserved.set(chunk.handle, chunk);
    this.held.add(chunk.handle);
    return chunk;
  }

  /** The reserved chunk `handle`, handed over for good; undefined when unknown or its lease is over. */
  claim(handle: string): PooledChunk | undefined {
    const chunk = this.reserved.get(handle);
    if (chunk === undefined) return undefined;
    this.reserved.delete(handle);
    this.held.delete(handle);
    if (this.deps.clock() < this.leaseEndMs(chunk)) return chunk;
    this.discard(chunk, 'reservation ended');
    return undefined;
  }

  /** A claimed chunk that could not be used after all: deleted from its replicas. */
  release(chunk: PooledChunk): void {
    this.discard(chunk, 'not attached');
  }

  /** A claimed reservation became its file's first chunk. */
  noteAttached(): void {
    this.counts.attached++;
  }

  /** Deletes ready chunks past their usable time and reservations past their lease (a timer calls it). */
  expire(now = this.deps.clock()): void {
    const keep: PooledChunk[] = [];
    for (const chunk of this.ready) {
      if (this.isReady(chunk, now)) keep.push(chunk);
      else this.discard(chunk, 'expired');
    }
    this.ready = keep;
    for (const chunk of [...this.reserved.values()]) {
      if (now < this.leaseEndMs(chunk)) continue;
      this.reserved.delete(chunk.handle);
      this.discard(chunk, 'reservation ended');
    }
  }

  /** A chunkserver registered again: it forgot its leases, so chunks it is primary of are no use. */
  forgetPrimary(serverId: string): void {
    const keep: PooledChunk[] = [];
    for (const chunk of this.ready) {
      if (chunk.serverIds[0] === serverId) this.discard(chunk, 'primary restarted');
      else keep.push(chunk);
    }
    this.ready = keep;
    for (const chunk of [...this.reserved.values()]) {
      if (chunk.serverIds[0] !== serverId) continue;
      this.reserved.delete(chunk.handle);
      this.discard(chunk, 'primary restarted');
    }
  }

  /** The lease's end as the master counts it. */
  leaseEndMs(chunk: PooledChunk): number {
    return chunk.grantedAtMs + this.deps.leaseMs;
  }

  /**
   * A burst of new files is coming (a mount took a directory's delegation: it will send the files
   * it answers from memory several at a time): fill the pool as if `count` chunks had just been
   * taken, rather than starting from the few an idle master keeps and missing most of the burst.
   */
  anticipate(count: number): void {
    const now = this.deps.clock();
    for (let i = 0; i < count; i++) this.takenAtMs.push(now);
    this.takenAtMs.splice(0, Math.max(0, this.takenAtMs.length - this.deps.chunksMax));
    this.demand++;
    this.refill();
  }

  /** Waits for a refill in flight (tests). */
  async settled(): Promise<void> {
    while (this.refilling !== undefined) await this.refilling;
  }

  private isReady(chunk: PooledChunk, now: number): boolean {
    const { registry } = this.deps;
    return now - chunk.grantedAtMs < this.usableMs && chunk.serverIds.every((id) => registry.isAliveId(id, now));
  }

  private discard(chunk: PooledChunk, why: string): void {
    this.held.delete(chunk.handle);
    this.counts.dropped++;
    for (const id of chunk.serverIds) this.deps.registry.scheduleDelete(id, chunk.handle);
    this.deps.logger.debug(`pooled chunk dropped handle=${chunk.handle} why=${why}`);
  }

  /** Chunks to keep ready now: twice those taken in the last window, within the bounds. */
  private target(now: number): number {
    let recent = 0;
    for (
      let i = this.takenAtMs.length - 1;
      i >= 0 && now - (this.takenAtMs[i] as number) < CHUNK_POOL_DEMAND_WINDOW_MS;
      i--
    ) {
      recent++;
    }
    return Math.min(this.deps.chunksMax, Math.max(CHUNK_POOL_READY_MIN, 2 * recent));
  }

  /** Starts a refill unless one runs or half the target is ready; another follows while takes keep coming. */
  private refill(): void {
    if (this.refilling !== undefined || this.ready.length > this.target(this.deps.clock()) / 2) return;
    this.demand = 0;
    const running = this.refillOnce()
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'chunk pool refill failed'))
      .finally(() => {
        this.refilling = undefined;
        if (this.demand > 0) this.refill();
      });
    this.refilling = running;
  }

  private async refillOnce(): Promise<void> {
    const { registry, recent, clock, leaseMs } = this.deps;
    const now = clock();
    const need = this.target(now) - this.ready.length - this.creatingCount;
    const live = registry.liveServers(now);
    if (need <= 0 || live.length === 0) return;
    this.creatingCount += need;
    let handles: string[] = [];
    try {
      handles = await this.deps.handles.allocate(need);
      for (const handle of handles) this.held.add(handle);
      const replicas = Math.min(this.deps.replication, live.length);
      const hints = { isOverCreationLimit: (id: string) => recent.isOverLimit(id) };
      const placements = placeBatch(live, handles.length, replicas, hints);
      const plans = handles.map((handle, i) => {
        const servers = placements[i] ?? [];
        for (const info of servers) recent.record(info.id);
        return { handle, serverIds: servers.map((info) => info.id) };
      });
      const acked = await this.grantAll(plans);
      const grantedAtMs = clock();
      for (const plan of plans) {
        const took = plan.serverIds.filter((id) => acked.has(`${id} ${plan.handle}`));
        if (took.length === plan.serverIds.length) {
          this.ready.push({ handle: plan.handle, version: POOLED_VERSION, serverIds: plan.serverIds, grantedAtMs });
          continue;
        }
        this.held.delete(plan.handle);
        for (const id of took) registry.scheduleDelete(id, plan.handle);
      }
      this.deps.logger.debug(`chunk pool refilled ready=${this.ready.length} leaseMs=${leaseMs}`);
    } catch (error) {
      for (const handle of handles) if (!this.ready.some((chunk) => chunk.handle === handle)) this.held.delete(handle);
      throw error;
    } finally {
      this.creatingCount -= need;
    }
  }

  /** One grant-batch per chunkserver; returns the "serverId handle" pairs that were taken. */
  private async grantAll(plans: ReadonlyArray<{ handle: string; serverIds: string[] }>): Promise<Set<string>> {
    const perServer = new Map<string, GrantBody[]>();
    for (const plan of plans) {
      plan.serverIds.forEach((id, i) => {
        const bodies = perServer.get(id) ?? [];
        bodies.push({
          handle: plan.handle,
          version: POOLED_VERSION,
          create: true,
          ...(i === 0 ? { leaseMs: this.deps.leaseMs } : {}),
        });
        perServer.set(id, bodies);
      });
    }
    const acked = new Set<string>();
    await Promise.all(
      [...perServer].map(async ([id, bodies]) => {
        const address = this.deps.registry.servers.get(id)?.address;
        if (address === undefined) return;
        const outcomes = await this.deps.grantBatch(address, bodies).catch(() => []);
        bodies.forEach((body, i) => {
          if (i < outcomes.length && outcomes[i] === undefined) acked.add(`${id} ${body.handle}`);
        });
      }),
    );
    return acked;
  }
}
