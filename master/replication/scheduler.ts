// Re-replication (GFS §4.3). A periodic tick scans chunk health when the set of live chunkservers
// changed (and every rescanMs regardless), keeps the under-replicated chunks as a queue in
// priority order, and starts clones as throttle slots free up: at most clonesInFlightMax in the
// cluster and clonesPerServerMax per chunkserver (source or target), one per chunk at a time.
// After the live set changes, clones wait until it has been stable for settleMs, so servers that
// failed together are all seen before the order is chosen.
//
// Levels are strict: while a chunk missing k replicas waits for a throttle slot, no chunk missing
// fewer is started, so the chunks closest to loss are repaired first. A chunk nothing can be
// cloned to (no room, no server without a copy) or held by a lease does not hold others back.
//
// A clone must not miss a write. It starts only on a chunk without a valid lease and with no
// grant in flight, and holds the chunk while it runs (lease requests wait, as for a version
// bump), so no mutation can reach any replica meanwhile; the new replica is added only if the
// chunk's version is still the one copied. A chunk that stays leased (written all the time) gets
// its lease extensions refused, and its clone runs just before the next lease is granted.
//
// The same tick then trims replicas above their chunk's goal (trimmer.ts) and, when re-replication
// has nothing running or waiting, starts rebalancing moves (rebalancer.ts), which are clones too:
// they share these throttles and this hold, and are logged beside the repairs.

import { GfsError } from '../../shared/errors.js';
import type { BodyOf } from '../../shared/http/route.js';
import {
  CLONE_RETRY_BACKOFF_MS,
  CLONES_IN_FLIGHT_MAX,
  CLONES_PER_CHUNKSERVER_MAX,
  OVER_GOAL_CHUNKS_MAX,
  REBALANCE_BYTES_PER_SECOND_DEFAULT,
  REBALANCE_CANDIDATES_PER_SOURCE_MAX,
  REBALANCE_FAILED_CHUNKS_MAX,
  REBALANCE_MOVES_IN_FLIGHT_MAX,
  REBALANCE_RETRY_BACKOFF_MS,
  REBALANCE_THRESHOLD_PERCENT_DEFAULT,
  REPAIR_QUEUE_MAX,
  REPAIR_RESCAN_MS,
  REPAIR_SETTLE_MAX_MS,
  REPAIR_SETTLE_MS,
} from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import type { cloneRoute } from '../../shared/protocol/data.js';
import type { CloneRecord, RepairStatus } from '../../shared/protocol/health.js';
import type { RecentCreations } from '../chunkservers/recent-creations.js';
import type { ChunkserverInfo, ChunkserverRegistry } from '../chunkservers/registry.js';
import type { LeaseManager, LeaseRepairHooks } from '../leases/lease-manager.js';
import type { MasterState } from '../state/types.js';
import { CloneLog } from './clone-log.js';
import { type ClonePlan, planClone } from './clone-plan.js';
import { type ChunkCondition, HEALTH_SCAN_SLICE_WORK, type HealthScan, HealthScanner } from './health.js';
import { compareUrgency, missingOf } from './priority.js';
import type { Move } from './rebalance-plan.js';
import { type CloneOutcome, Rebalancer, type RebalanceSettings } from './rebalancer.js';
import { ReplicaTrimmer } from './trimmer.js';

export type CloneBody = BodyOf<typeof cloneRoute>;

/** Periodic rescans are spaced at least this many times the length of the last scan. */
const RESCAN_BUSY_SHARE_INVERSE = 10;
/** Orders the chunkserver at `targetAddress` to clone a chunk; resolves with its size once its copy is durable. */
export type CloneCaller = (targetAddress: string, body: CloneBody) => Promise<{ sizeBytes: number }>;

export interface RepairLimits {
  clonesInFlightMax: number;
  clonesPerServerMax: number;
  rescanMs: number;
  retryBackoffMs: number;
  queueMax: number;
  /** Repair waits for the live set to be stable this long after a change (at most settleMaxMs). */
  settleMs: number;
  settleMaxMs: number;
  /**
   * Nothing is repaired this long after the master starts: chunkservers register (with their
   * chunk reports) within a heartbeat or two, and one that has not by --dead-after is dead anyway.
   * Repairing earlier would clone chunks whose replicas simply have not been reported yet.
   */
  startupHoldOffMs: number;
  /** Entries and chunks a tick's slice of the health scan looks at (the rest at later ticks). */
  scanSliceWork: number;
}

export interface RepairDeps {
  state: MasterState;
  registry: ChunkserverRegistry;
  leases: LeaseManager;
  recent: RecentCreations;
  clone: CloneCaller;
  clock: () => number;
  logger: Logger;
  /** False until the start-up wait for chunk reports is over. */
  isReady: () => boolean;
  isTrashed: (path: string) => boolean;
  limits?: Partial<RepairLimits>;
  /** Rebalancing's rate, threshold and bounds (defaults from shared/limits.ts). */
  rebalance?: Partial<RebalanceSettings>;
}

export class RepairScheduler implements LeaseRepairHooks {
  readonly log = new CloneLog();
  readonly trimmer: ReplicaTrimmer;
  readonly rebalancer: Rebalancer;
  /** Called when a clone ends (its throttle slots are free): the live master ticks again soon. */
  onCloneEnded: (() => void) | undefined;
  /** Called when a tick ran a slice of a scan that is not done: the live master ticks again soon. */
  onScanSliceDone: (() => void) | undefined;
  /** Counts of the last complete scan (undefined before the first). */
  lastCounts: HealthScan['counts'] | undefined;
  /** Told when a clone starts and when it ends (its record then has `result` and `endedAtMs`). */
  onClone: ((record: CloneRecord) => void) | undefined;
  private readonly limits: RepairLimits;
  /** Under-replicated chunks with a live replica, most urgent first (pruned as they recover). */
  private queue: ChunkCondition[] = [];
  private lost = 0;
  /** Clones in flight by chunk handle. */
  private readonly running = new Map<string, Promise<unknown>>();
  /** Clones each server takes part in now (source or target), and those coming into it. */
  private readonly clones = new Map<string, number>();
  private readonly incoming = new Map<string, number>();
  /** Chunks whose last clone failed → when they may be tried again (only queued chunks kept). */
  private readonly retryAtMs = new Map<string, number>();
  /** Chunks whose clone only their lease holds back (LeaseRepairHooks). */
  private readonly leaseBlocked = new Map<string, ChunkCondition>();
  /** The live set of the last complete scan, and the one the last tick saw. */
  private liveKey: string | undefined;
  private seenLiveKey: string | undefined;
  /** A scan in progress (sliced over ticks), with the live set and time it judges against. */
  private scanning: { scanner: HealthScanner; liveKey: string; now: number; busyMs: number } | undefined;
  /** Periodic rescans come this long after the last: rescanMs, or more when scans are long. */
  private rescanAfterMs: number;
  /** When the live set last changed, and when the burst of changes it belongs to began. */
  private liveChangedAtMs = Number.NEGATIVE_INFINITY;
  private changesBeganAtMs = Number.NEGATIVE_INFINITY;
  private lastScanMs = Number.NEGATIVE_INFINITY;
  private scanWanted = true;
  private lastSummary = 'underReplicated=0 lost=0 corrupt=0';
  private readonly startedAtMs: number;
  private done = 0;
  private failed = 0;
  /** True when the last dispatch left clones running or repairable chunks waiting: rebalancing waits. */
  private repairActive = false;

  constructor(private readonly deps: RepairDeps) {
    this.limits = {
      clonesInFlightMax: CLONES_IN_FLIGHT_MAX,
      clonesPerServerMax: CLONES_PER_CHUNKSERVER_MAX,
      rescanMs: REPAIR_RESCAN_MS,
      retryBackoffMs: CLONE_RETRY_BACKOFF_MS,
      queueMax: REPAIR_QUEUE_MAX,
      settleMs: REPAIR_SETTLE_MS,
      settleMaxMs: REPAIR_SETTLE_MAX_MS,
      startupHoldOffMs: 0,
      scanSliceWork: HEALTH_SCAN_SLICE_WORK,
      ...deps.limits,
    };
    this.rescanAfterMs = this.limits.rescanMs;
    this.startedAtMs = deps.clock();
    const isCloning = (handle: string) => this.running.has(handle);
    this.trimmer = new ReplicaTrimmer({ ...deps, isCloning });
    this.rebalancer = new Rebalancer({
      ...deps,
      settings: {
        bytesPerSecond: REBALANCE_BYTES_PER_SECOND_DEFAULT,
        thresholdPercent: REBALANCE_THRESHOLD_PERCENT_DEFAULT,
        movesInFlightMax: REBALANCE_MOVES_IN_FLIGHT_MAX,
        candidatesPerSourceMax: REBALANCE_CANDIDATES_PER_SOURCE_MAX,
        retryBackoffMs: REBALANCE_RETRY_BACKOFF_MS,
        failedChunksMax: REBALANCE_FAILED_CHUNKS_MAX,
        ...deps.rebalance,
      },
      isCloning,
      isOverGoal: (handle) => this.trimmer.isOverGoal(handle),
      clonesOf: (id) => this.clones.get(id) ?? 0,
      incomingOf: (id) => this.incoming.get(id) ?? 0,
      startMove: (move, replicasBefore, onAdded) => this.startMove(move, replicasBefore, onAdded),
    });
  }

  /**
   * One step: a slice of the health scan when one is due or running, then start the clones the
   * throttles allow (from the last complete scan's queue). Synchronous and bounded.
   */
  tick(): void {
    const now = this.deps.clock();
    if (!this.deps.isReady() || now - this.startedAtMs < this.limits.startupHoldOffMs) return;
    const live = this.deps.registry.liveServers(now);
    const liveKey = live
      .map((info) => info.id)
      .sort()
      .join(',');
    if (liveKey !== this.seenLiveKey) {
      if (now - this.liveChangedAtMs >= this.limits.settleMs) this.changesBeganAtMs = now;
      this.liveChangedAtMs = now;
      this.seenLiveKey = liveKey;
    }
    this.scanStep(now, liveKey);
    const settling =
      now - this.liveChangedAtMs < this.limits.settleMs && now - this.changesBeganAtMs < this.limits.settleMaxMs;
    if (settling) return;
    this.dispatch(now, live);
    this.trimmer.trim(now);
    this.rebalancer.tick(now, live, this.repairActive);
  }

  /**
   * The next slice of a scan in progress, between timer ticks (the live master calls it when asked
   * by onScanSliceDone). Only the scan: clones start at ticks. A live set that changed meanwhile is
   * seen at the next tick, which starts the scan over.
   */
  continueScan(): void {
    if (this.scanning === undefined) return;
    this.scanStep(this.scanning.now, this.scanning.liveKey);
  }

  /** Asks for a full scan at the next tick (a replica was reported corrupt). */
  requestScan(): void {
    this.scanWanted = true;
  }

  /** Chunks in the re-replication queue, waiting or being cloned (as of the last scan). */
  get queuedChunks(): number {
    return this.queue.length;
  }

  status(): RepairStatus {
    let waiting = 0;
    for (const item of this.queue) if (!this.running.has(item.handle)) waiting++;
    const inFlight = this.running.size - this.rebalancer.movesInFlight;
    return { inFlight, done: this.done, failed: this.failed, waiting, lost: this.lost };
  }

  cloneLog(): CloneRecord[] {
    return this.log.list();
  }

  /** Resolves when every clone in flight has ended (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.running.values());
  }

  mayExtend(handle: string): boolean {
    return !this.leaseBlocked.has(handle);
  }

  beforeGrant(handle: string): Promise<unknown> | undefined {
    const item = this.leaseBlocked.get(handle);
    if (item === undefined) return undefined;
    this.leaseBlocked.delete(handle);
    const now = this.deps.clock();
    if (this.running.size >= this.limits.clonesInFlightMax) return undefined;
    const holders = this.deps.registry.liveHolders(handle, now);
    const meta = this.deps.state.chunks.get(handle);
    if (meta === undefined || holders.length >= item.goal || this.deps.leases.isBusy(handle)) return undefined;
    const plan = this.plan(handle, holders, this.deps.registry.liveServers(now));
    if (plan.kind !== 'start') return undefined;
    return this.start(item, meta.version, holders.length, plan.source, plan.target);
  }

  /** A rebalancing move's clone, under the same rules as a repair's: no lease, no grant, no other clone. */
  private startMove(move: Move, replicasBefore: number, onAdded: () => void): Promise<CloneOutcome> | undefined {
    const { handle, source, target } = move;
    const meta = this.deps.state.chunks.get(handle);
    const { leases } = this.deps;
    if (meta === undefined || this.running.has(handle) || leases.leaseHeld(handle) || leases.isBusy(handle)) {
      return undefined;
    }
    if (this.running.size >= this.limits.clonesInFlightMax) return undefined;
    const item = { handle, goal: replicasBefore };
    return this.start(item, meta.version, replicasBefore, source, target, { purpose: 'rebalance', onAdded });
  }

  /** Starts a scan when one is due (a scan judging a live set that changed since starts over), runs a slice. */
  private scanStep(now: number, liveKey: string): void {
    if (this.scanning !== undefined && this.scanning.liveKey !== liveKey) this.scanning = undefined;
    const due = this.scanWanted || liveKey !== this.liveKey || now - this.lastScanMs >= this.rescanAfterMs;
    if (this.scanning === undefined && due) {
      // Wanted again only if asked for after this scan began.
      this.scanWanted = false;
      const scanner = new HealthScanner(
        this.deps.state,
        this.deps.registry,
        {
          now,
          isTrashed: this.deps.isTrashed,
          isBusy: (handle) => this.deps.leases.isBusy(handle),
          listMax: this.limits.queueMax,
          overGoalMax: OVER_GOAL_CHUNKS_MAX,
        },
        this.limits.scanSliceWork,
      );
      this.scanning = { scanner, liveKey, now, busyMs: 0 };
    }
    const scanning = this.scanning;
    if (scanning === undefined) return;
    const sliceStartedMs = performance.now();
    const done = scanning.scanner.step();
    scanning.busyMs += performance.now() - sliceStartedMs;
    if (!done) {
      this.onScanSliceDone?.();
      return;
    }
    this.scanning = undefined;
    // Periodic rescans take at most 1/RESCAN_BUSY_SHARE_INVERSE of the master's time, however
    // many chunks it holds (a million: seconds of work per scan). Changes still rescan at once.
    this.rescanAfterMs = Math.max(this.limits.rescanMs, RESCAN_BUSY_SHARE_INVERSE * scanning.busyMs);
    this.scanned(scanning.scanner.result as HealthScan, scanning.now, scanning.liveKey);
  }

  private scanned(health: HealthScan, now: number, liveKey: string): void {
    this.lastCounts = health.counts;
    for (const handle of health.corruptResolved) this.deps.registry.releaseCorrupt(handle);
    this.trimmer.setCandidates(health.overGoal);
    this.queue = health.underReplicated;
    this.lost = health.counts.lost;
    const queued = new Set(this.queue.map((item) => item.handle));
    for (const handle of this.retryAtMs.keys()) if (!queued.has(handle)) this.retryAtMs.delete(handle);
    this.deps.recent.retain(new Set(this.deps.registry.servers.keys()));
    this.liveKey = liveKey;
    this.lastScanMs = now;
    // Logged when the picture changes, not every rescan of a cluster that stays short of servers.
    const summary = `underReplicated=${health.counts.underReplicated} lost=${health.counts.lost} corrupt=${health.counts.corrupt}`;
    if (summary !== this.lastSummary) {
      this.lastSummary = summary;
      this.deps.logger.info(`health scan chunks=${health.chunks} ${summary}`);
    }
  }

  private dispatch(now: number, live: ChunkserverInfo[]): void {
    const { state, registry, leases } = this.deps;
    // Refresh every queued chunk (clones ended, servers came back), drop the whole ones and sort
    // again: a chunk whose first clone finished is now less urgent than one still waiting for its
    // first. The queue stays nearly sorted, which the sort handles in about linear time.
    const kept: ChunkCondition[] = [];
    for (const item of this.queue) {
      const meta = state.chunks.get(item.handle);
      if (meta === undefined) continue;
      item.live = registry.liveHolderCount(item.handle, now);
      item.version = meta.version;
      if (item.live < item.goal) kept.push(item);
    }
    kept.sort(compareUrgency);
    this.queue = kept;
    this.leaseBlocked.clear();
    // > 0 once a chunk missing that many replicas waits for a throttle slot: none missing fewer starts.
    let blockedAtMissing = 0;
    // Repair clones running, or a chunk that could be repaired waiting: rebalancing holds back.
    this.repairActive = this.running.size > this.rebalancer.movesInFlight;
    for (const [index, item] of kept.entries()) {
      if (this.running.size >= this.limits.clonesInFlightMax) {
        // Out of slots (moves may hold some): a chunk left waiting still keeps rebalancing back.
        this.repairActive ||= kept.slice(index).some((rest) => rest.live > 0 && !this.running.has(rest.handle));
        break;
      }
      const missing = missingOf(item);
      if (item.live === 0 || this.running.has(item.handle)) continue;
      if (missing < blockedAtMissing || (this.retryAtMs.get(item.handle) ?? 0) > now) {
        this.repairActive = true;
        continue;
      }
      const holders = registry.liveHolders(item.handle, now);
      const plan = this.plan(item.handle, holders, live);
      if (plan.kind === 'unplaceable') continue;
      this.repairActive = true;
      if (leases.leaseHeld(item.handle) || leases.isBusy(item.handle)) {
        this.leaseBlocked.set(item.handle, item);
        continue;
      }
      if (plan.kind === 'throttled') {
        blockedAtMissing = Math.max(blockedAtMissing, missing);
        continue;
      }
      void this.start(item, item.version, holders.length, plan.source, plan.target);
    }
  }

  private plan(handle: string, holders: ChunkserverInfo[], live: ChunkserverInfo[]): ClonePlan {
    const { registry, recent, state } = this.deps;
    return planClone({
      handle,
      holders,
      live,
      chunkSizeBytes: state.chunkSizeBytes,
      holdsCopy: (id, chunk) => registry.holdsCopy(id, chunk),
      clonesOf: (id) => this.clones.get(id) ?? 0,
      incomingOf: (id) => this.incoming.get(id) ?? 0,
      clonesPerServerMax: this.limits.clonesPerServerMax,
      hints: { isOverCreationLimit: (id) => recent.isOverLimit(id) },
    });
  }

  /** Starts a clone; synchronous up to the hold on the chunk, so nothing can lease it in between. */
  private start(
    item: Pick<ChunkCondition, 'handle' | 'goal'>,
    version: number,
    replicasBefore: number,
    source: ChunkserverInfo,
    target: ChunkserverInfo,
    move?: { purpose: 'rebalance'; onAdded: () => void },
  ): Promise<CloneOutcome> {
    const { handle } = item;
    const purpose = move?.purpose ?? 'repair';
    const record = this.log.add({
      handle,
      version,
      replicasBefore,
      replication: item.goal,
      source: source.address,
      target: target.address,
      startedAtMs: this.deps.clock(),
      purpose,
    });
    this.onClone?.(record);
    this.count(this.clones, source.id, 1);
    this.count(this.clones, target.id, 1);
    this.count(this.incoming, target.id, 1);
    this.deps.recent.record(target.id);
    this.deps.logger.info(
      `clone started handle=${handle} version=${version} replicas=${replicasBefore}/${item.goal} source=${source.id} target=${target.id} purpose=${purpose}`,
    );
    const work = this.run(handle, version, source, target, record, move?.onAdded).finally(() => {
      this.count(this.clones, source.id, -1);
      this.count(this.clones, target.id, -1);
      this.count(this.incoming, target.id, -1);
      this.running.delete(handle);
      record.endedAtMs = this.deps.clock();
      this.onClone?.(record);
      this.onCloneEnded?.();
    });
    this.running.set(handle, work);
    this.deps.leases.hold(handle, work);
    return work;
  }

  private async run(
    handle: string,
    version: number,
    source: ChunkserverInfo,
    target: ChunkserverInfo,
    record: CloneRecord,
    onAdded?: () => void,
  ): Promise<CloneOutcome> {
    const { registry, state, logger } = this.deps;
    // Moves keep their own counts (Rebalancer); these are re-replication's.
    const counted = onAdded === undefined;
    let sizeBytes: number;
    try {
      ({ sizeBytes } = await this.deps.clone(target.address, { handle, version, source: source.address }));
    } catch (error) {
      if (counted) this.failed++;
      record.result = error instanceof GfsError ? error.code : 'INTERNAL';
      this.retryAtMs.set(handle, this.deps.clock() + this.limits.retryBackoffMs);
      logger.warn(
        `clone failed handle=${handle} source=${source.id} target=${target.id} error=${error instanceof Error ? error.message : String(error)}`,
      );
      return { result: 'failed' };
    }
    // The chunk was held, so its version cannot have moved; it may have been deleted, though.
    if (state.chunks.get(handle)?.version !== version) {
      if (counted) this.failed++;
      record.result = 'stale';
      registry.scheduleDelete(target.id, handle);
      logger.info(`clone discarded handle=${handle} target=${target.id}: the chunk changed or left meanwhile`);
      return { result: 'stale' };
    }
    registry.addLocation(handle, target.id);
    onAdded?.();
    if (counted) this.done++;
    record.result = 'done';
    logger.info(`clone done handle=${handle} version=${version} target=${target.id}`);
    return { result: 'done', sizeBytes };
  }

  private count(counts: Map<string, number>, id: string, delta: number): void {
    const value = (counts.get(id) ?? 0) + delta;
    if (value <= 0) counts.delete(id);
    else counts.set(id, value);
  }
}
