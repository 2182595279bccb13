// The chunkserver table and chunk locations (DESIGN §2, §4). Locations are learned only from
// registration and heartbeat reports and from grant acks, never logged. A chunkserver is alive
// while its last heartbeat is within deadAfterMs; a dead one's replicas are not handed out.

import type { ChunkReport } from '../../shared/protocol/heartbeat.js';
import { CorruptReplicas } from './corrupt-replicas.js';
import { type ChunkHandleSet, HandleSet, handleNumber } from './handle-set.js';

export interface ChunkserverInfo {
  id: string;
  address: string;
  rack: string;
  capacityBytes: number;
  usedBytes: number;
  lastHeartbeatMs: number;
  /** Replicas this server holds at the master's current version (its up-to-date chunks). */
  chunks: ChunkHandleSet;
  /** Replicas this server should delete, sent with the next register/heartbeat reply. */
  pendingDeletes: Set<string>;
  /**
   * Handle → report of a version ahead of the master's, from this server's registration, adopted
   * at its first heartbeat (reports.ts): one registration request alone makes no replica current.
   */
  heldAdoptions: Map<string, ChunkReport>;
  /** False from registration until the server's first heartbeat: it is not yet known to run. */
  heartbeating: boolean;
}

/** Bound on deletions queued for one server; the rest are found again from later reports. */
const PENDING_DELETES_MAX = 100_000;
/**
 * Distinct holder lists shared between chunks. Chunks placed on the same servers share one frozen
 * array, so a location costs its table slot alone; when the cache is full it starts over (lists in
 * use stay with their chunks), which bounds it however servers come and go.
 */
const SHARED_HOLDER_LISTS_MAX = 100_000;

export class ChunkserverRegistry {
  readonly servers = new Map<string, ChunkserverInfo>();
  /**
   * handle (as a number, handle-set.ts) → ids of the servers holding an up-to-date replica, in the
   * order they were added. Shared frozen arrays rather than a set per chunk: a set of 3 costs ~150
   * bytes, and at a million chunks that was most of the master's memory per chunk
   * (docs/benchmarks.md, "Master").
   */
  private readonly locations = new Map<number, readonly string[]>();
  private readonly holderLists = new Map<string, readonly string[]>();
  /** Replicas reported corrupt: out of service, deleted once the chunk is whole again. */
  readonly corrupt = new CorruptReplicas();

  constructor(
    private readonly clock: () => number,
    private readonly deadAfterMs: number,
  ) {}

  /** Adds or refreshes a server after registration; its previous locations are forgotten. */
  register(
    fields: Omit<ChunkserverInfo, 'chunks' | 'pendingDeletes' | 'lastHeartbeatMs' | 'heldAdoptions' | 'heartbeating'>,
  ): ChunkserverInfo {
    const previous = this.servers.get(fields.id);
    if (previous !== undefined) for (const handle of previous.chunks) this.forgetHolder(handle, previous.id);
    const info: ChunkserverInfo = {
      ...fields,
      lastHeartbeatMs: this.clock(),
      chunks: new HandleSet(),
      pendingDeletes: previous?.pendingDeletes ?? new Set(),
      heldAdoptions: new Map(),
      heartbeating: false,
    };
    this.servers.set(info.id, info);
    return info;
  }

  heartbeat(id: string, capacityBytes: number, usedBytes: number): ChunkserverInfo | undefined {
    const info = this.servers.get(id);
    if (info === undefined) return undefined;
    info.capacityBytes = capacityBytes;
    info.usedBytes = usedBytes;
    info.lastHeartbeatMs = this.clock();
    info.heartbeating = true;
    return info;
  }

  isAlive(info: ChunkserverInfo | undefined, now = this.clock()): info is ChunkserverInfo {
    return info !== undefined && now - info.lastHeartbeatMs <= this.deadAfterMs;
  }

  isAliveId(id: string, now = this.clock()): boolean {
    return this.isAlive(this.servers.get(id), now);
  }

  liveServers(now = this.clock()): ChunkserverInfo[] {
    const live: ChunkserverInfo[] = [];
    for (const info of this.servers.values()) if (this.isAlive(info, now)) live.push(info);
    return live;
  }

  /** Live servers holding an up-to-date replica of a chunk. */
  liveHolders(handle: string, now = this.clock()): ChunkserverInfo[] {
    const ids = this.holders(handle);
    if (ids === undefined) return [];
    const live: ChunkserverInfo[] = [];
    for (const id of ids) {
      const info = this.servers.get(id);
      if (this.isAlive(info, now)) live.push(info);
    }
    return live;
  }

  /** How many live servers hold an up-to-date replica (liveHolders without the array). */
  liveHolderCount(handle: string, now = this.clock()): number {
    let count = 0;
    for (const id of this.holders(handle) ?? []) if (this.isAlive(this.servers.get(id), now)) count++;
    return count;
  }

  holderIds(handle: string): ReadonlySet<string> {
    return new Set(this.holders(handle));
  }

  hasAnyHolder(handle: string): boolean {
    return this.holders(handle) !== undefined;
  }

  private holders(handle: string): readonly string[] | undefined {
    const key = handleNumber(handle);
    return key === undefined ? undefined : this.locations.get(key);
  }

  addLocation(handle: string, id: string): void {
    const info = this.servers.get(id);
    if (info === undefined) return;
    const key = handleNumber(handle);
    if (key === undefined) return;
    info.chunks.add(handle);
    const ids = this.locations.get(key) ?? [];
    if (!ids.includes(info.id)) this.locations.set(key, this.sharedList(ids.concat(info.id)));
  }

  removeLocation(handle: string, id: string): void {
    this.servers.get(id)?.chunks.delete(handle);
    this.forgetHolder(handle, id);
  }

  private forgetHolder(handle: string, id: string): void {
    const key = handleNumber(handle);
    const ids = key === undefined ? undefined : this.locations.get(key);
    if (key === undefined || ids === undefined || !ids.includes(id)) return;
    if (ids.length === 1) this.locations.delete(key);
    else this.locations.set(key, this.sharedList(ids.filter((holder) => holder !== id)));
  }

  /** The shared, frozen list equal to `ids` (holderLists). */
  private sharedList(ids: string[]): readonly string[] {
    const name = JSON.stringify(ids);
    const shared = this.holderLists.get(name);
    if (shared !== undefined) return shared;
    if (this.holderLists.size >= SHARED_HOLDER_LISTS_MAX) this.holderLists.clear();
    const frozen = Object.freeze(ids);
    this.holderLists.set(name, frozen);
    return frozen;
  }

  /** After a version bump: exactly `ids` hold the current version; every other holder is stale. */
  setHolders(handle: string, ids: readonly string[]): void {
    for (const id of [...this.holderIds(handle)]) if (!ids.includes(id)) this.removeLocation(handle, id);
    for (const id of ids) this.addLocation(handle, id);
  }

  /** Queues the deletion of a replica on a server (stale, orphaned, corrupt). */
  scheduleDelete(id: string, handle: string): void {
    const info = this.servers.get(id);
    if (info !== undefined && info.pendingDeletes.size < PENDING_DELETES_MAX) info.pendingDeletes.add(handle);
  }

  /** True when the server has some copy of the chunk on disk (good, corrupt or about to be deleted). */
  holdsCopy(id: string, handle: string): boolean {
    return (
      this.holders(handle)?.includes(id) === true ||
      this.corrupt.has(handle, id) ||
      this.servers.get(id)?.pendingDeletes.has(handle) === true
    );
  }

  /** A replica failed its checksum: never handed out again; deleted once the chunk is whole again. */
  markCorrupt(handle: string, id: string): void {
    this.removeLocation(handle, id);
    if (!this.corrupt.mark(handle, id)) this.scheduleDelete(id, handle);
  }

  /** The chunk is whole again (or gone): its corrupt replicas are deleted. */
  releaseCorrupt(handle: string): void {
    for (const id of this.corrupt.take(handle)) this.scheduleDelete(id, handle);
  }

  /** A chunk left the chunk table: every holder deletes it. */
  dropChunk(handle: string): void {
    for (const id of [...this.holderIds(handle)]) {
      this.removeLocation(handle, id);
      this.scheduleDelete(id, handle);
    }
    this.releaseCorrupt(handle);
  }

  takeDeletes(id: string): string[] {
    const info = this.servers.get(id);
    if (info === undefined || info.pendingDeletes.size === 0) return [];
    const handles = [...info.pendingDeletes];
    info.pendingDeletes.clear();
    return handles;
  }
}
