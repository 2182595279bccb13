// Rebalancing (DESIGN §4): moves replicas from over-full chunkservers to under-full ones, gently.
// The planner (rebalance-plan.ts) picks the moves; this runs them as clones through the repair
// scheduler (same throttles, the chunk held while it is copied) and, in the same step that adds
// the new replica, deletes the source's through its next heartbeat reply, as trimming does.
//
// Gentle: nothing moves while re-replication has work (rebalancing comes after repair); at most
// movesInFlightMax moves in the cluster and one per server, never on a server running a repair
// clone; each server moves at most bytesPerSecond on average (a move charges its source and its
// target, spacing their next moves apart); and a server's next move waits until two heartbeats
// after its last one, so the disk use it reports includes that move (the target's new replica,
// the source's deleted one) instead of planning from stale figures and overshooting.

import type { Logger } from '../../shared/log.js';
import type { RebalanceStatus } from '../../shared/protocol/health.js';
import type { ChunkserverInfo, ChunkserverRegistry } from '../chunkservers/registry.js';
import type { LeaseManager } from '../leases/lease-manager.js';
import type { MasterState } from '../state/types.js';
import { balanceOf, type Move, planMoves } from './rebalance-plan.js';
import { deleteReplica, usePercent } from './trimmer.js';

export interface RebalanceSettings {
  /** Average bytes per second each server may move, as source or target; 0 turns rebalancing off. */
  bytesPerSecond: number;
  /** Percentage points of disk use beyond the mean that make a server over- or under-full. */
  thresholdPercent: number;
  movesInFlightMax: number;
  candidatesPerSourceMax: number;
  retryBackoffMs: number;
  failedChunksMax: number;
}

/** How a clone ended, as the scheduler reports it. */
export type CloneOutcome = { result: 'done'; sizeBytes: number } | { result: 'failed' | 'stale' };

/**
 * Starts a move's clone when the chunk may be cloned now (undefined when not). `onAdded` runs in
 * the same synchronous step that adds the target's replica, while the chunk is still held.
 */
export type MoveStarter = (
  move: Move,
  replicasBefore: number,
  onAdded: () => void,
) => Promise<CloneOutcome> | undefined;

export interface RebalancerDeps {
  state: MasterState;
  registry: ChunkserverRegistry;
  leases: Pick<LeaseManager, 'leaseHeld' | 'isBusy'>;
  settings: RebalanceSettings;
  isCloning(handle: string): boolean;
  /** Chunks the trimmer will trim: moving them would be wasted work. */
  isOverGoal(handle: string): boolean;
  /** Clones (of either kind) a server takes part in now, and those coming into it. */
  clonesOf(id: string): number;
  incomingOf(id: string): number;
  startMove: MoveStarter;
  clock: () => number;
  logger: Logger;
}

/** Heartbeats a server sends after a move before it takes part in another (see the header). */
const HEARTBEATS_AFTER_MOVE = 2;

export class Rebalancer {
  private inFlight = 0;
  private done = 0;
  private failed = 0;
  private bytesMoved = 0;
  /** Servers in a move now. */
  private readonly moving = new Set<string>();
  /** When each server's rate allows its next move. */
  private readonly readyAtMs = new Map<string, number>();
  /** Servers whose last move ended: the newest heartbeat seen since, and how many. */
  private readonly settling = new Map<string, { lastBeatMs: number; beats: number }>();
  /** Chunks whose move failed → when they may move again. */
  private readonly failedUntilMs = new Map<string, number>();

  constructor(private readonly deps: RebalancerDeps) {}

  get enabled(): boolean {
    return this.deps.settings.bytesPerSecond > 0;
  }

  get movesInFlight(): number {
    return this.inFlight;
  }

  /** Starts the moves the planner picks now; `repairActive` (clones running or waiting) holds them all back. */
  tick(now: number, live: readonly ChunkserverInfo[], repairActive: boolean): void {
    const { settings, state, registry } = this.deps;
    this.countHeartbeats();
    if (!this.enabled || repairActive) return;
    const movesMax = Math.min(settings.movesInFlightMax - this.inFlight, live.length);
    if (movesMax <= 0) return;
    const moves = planMoves({
      live,
      thresholdFraction: settings.thresholdPercent / 100,
      moveBytes: state.chunkSizeBytes,
      movesMax,
      mayMove: (id) => this.mayMove(id, now),
      incomingBytes: (id) => this.deps.incomingOf(id) * state.chunkSizeBytes,
      candidates: (source) => this.candidates(source, now),
      holders: (handle) => registry.liveHolders(handle, now),
      holdsCopy: (id, handle) => registry.holdsCopy(id, handle),
    });
    for (const move of moves) this.start(move, now);
  }

  status(now: number): RebalanceStatus {
    const { overFull, underFull } = balanceOf(
      this.deps.registry.liveServers(now),
      this.deps.settings.thresholdPercent / 100,
    );
    return {
      inFlight: this.inFlight,
      done: this.done,
      failed: this.failed,
      bytesMoved: this.bytesMoved,
      bytesPerSecond: this.deps.settings.bytesPerSecond,
      thresholdPercent: this.deps.settings.thresholdPercent,
      overFull: overFull.length,
      underFull: underFull.length,
    };
  }

  private mayMove(id: string, now: number): boolean {
    if (this.moving.has(id) || this.settling.has(id)) return false;
    return this.deps.clonesOf(id) === 0 && (this.readyAtMs.get(id) ?? 0) <= now;
  }

  /**
   * Counts the heartbeats of servers whose last move ended, as seen at each tick (two between two
   * ticks count as one, which only waits longer), and lets those with enough move again.
   */
  private countHeartbeats(): void {
    for (const [id, wait] of this.settling) {
      const info = this.deps.registry.servers.get(id);
      if (info === undefined) {
        this.settling.delete(id);
        continue;
      }
      if (info.lastHeartbeatMs <= wait.lastBeatMs) continue;
      wait.lastBeatMs = info.lastHeartbeatMs;
      if (++wait.beats >= HEARTBEATS_AFTER_MOVE) this.settling.delete(id);
    }
  }

  private *candidates(source: ChunkserverInfo, now: number): Generator<string> {
    const { state, leases, registry } = this.deps;
    let looked = 0;
    for (const handle of source.chunks) {
      if (++looked > this.deps.settings.candidatesPerSourceMax) return;
      if (!state.chunks.has(handle) || leases.leaseHeld(handle) || leases.isBusy(handle)) continue;
      if (this.deps.isCloning(handle) || this.deps.isOverGoal(handle)) continue;
      if (registry.corrupt.holders(handle).size > 0 || (this.failedUntilMs.get(handle) ?? 0) > now) continue;
      yield handle;
    }
  }

  private start(move: Move, now: number): void {
    const { handle, source, target } = move;
    const { registry, logger, settings, state } = this.deps;
    const replicasBefore = registry.liveHolderCount(handle, now);
    const work = this.deps.startMove(move, replicasBefore, () => this.dropSource(move, replicasBefore));
    if (work === undefined) return;
    this.inFlight++;
    this.moving.add(source.id);
    this.moving.add(target.id);
    // Charged up front with the most a chunk can hold; the difference is settled once the size is known.
    const estimateBytes = state.chunkSizeBytes;
    this.charge([source.id, target.id], estimateBytes, now);
    logger.info(
      `move started handle=${handle} source=${source.id} use=${usePercent(source)}% target=${target.id} use=${usePercent(target)}%`,
    );
    void work.then((outcome) => {
      const endedAtMs = this.deps.clock();
      this.inFlight--;
      for (const id of [source.id, target.id]) {
        this.moving.delete(id);
        this.settling.set(id, { lastBeatMs: endedAtMs, beats: 0 });
      }
      if (outcome.result === 'done') {
        this.done++;
        this.bytesMoved += outcome.sizeBytes;
        this.charge([source.id, target.id], outcome.sizeBytes - estimateBytes, endedAtMs);
        return;
      }
      this.failed++;
      this.rememberFailure(handle, endedAtMs + settings.retryBackoffMs, endedAtMs);
    });
  }

  /**
   * The move's second half, in the step that added the target's replica: the source's goes, unless
   * the chunk would be left with fewer live replicas than before the move (another holder died
   * meanwhile; then the trimmer decides once the chunk is whole again).
   */
  private dropSource(move: Move, replicasBefore: number): void {
    const { registry, logger } = this.deps;
    const { handle, source, target } = move;
    const others = registry.liveHolders(handle).filter((info) => info.id !== source.id);
    if (others.length < replicasBefore || !others.includes(target)) {
      logger.info(`move kept its source handle=${handle} source=${source.id}: replicas=${others.length}`);
      return;
    }
    deleteReplica(registry, handle, source.id);
    logger.info(`move done handle=${handle} source=${source.id} target=${target.id}`);
  }

  /** Spaces each server's moves so it averages at most bytesPerSecond (negative bytes refund). */
  private charge(ids: readonly string[], bytes: number, now: number): void {
    const ms = (bytes / this.deps.settings.bytesPerSecond) * 1000;
    for (const id of ids) this.readyAtMs.set(id, Math.max(this.readyAtMs.get(id) ?? now, now) + ms);
  }

  private rememberFailure(handle: string, untilMs: number, now: number): void {
    if (this.failedUntilMs.size >= this.deps.settings.failedChunksMax) {
      for (const [chunk, until] of this.failedUntilMs) if (until <= now) this.failedUntilMs.delete(chunk);
    }
    if (this.failedUntilMs.size < this.deps.settings.failedChunksMax) this.failedUntilMs.set(handle, untilMs);
  }
}
