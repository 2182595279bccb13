// The master's modules wired together, without HTTP: the durable state, the chunkserver
// registry, the start-up gate, the lease manager, re-replication, the trash sweep, snapshots and
// directory delegations.
// Every mutation goes through commit(), which answers after the record is durable and then
// carries out its effects (replica deletions).

import { CHUNK_POOL_RESERVED_MAX, FSCK_LIST_MAX, STATUS_SCAN_CHUNKS_MAX } from '../shared/limits.js';
import type { Logger } from '../shared/log.js';
import { RecentCreations } from './chunkservers/recent-creations.js';
import { type ChunkserverInfo, ChunkserverRegistry } from './chunkservers/registry.js';
import { adoptHeldVersions, processFullReport, type ReportContext } from './chunkservers/reports.js';
import { StartupGate } from './chunkservers/startup-gate.js';
import { Delegations } from './delegations/delegations.js';
import { EventRing } from './events/event-ring.js';
import { LivenessWatch } from './events/liveness-watch.js';
import { TrashSweeper } from './gc/trash-sweeper.js';
import type { GrantBatchCaller } from './leases/chunk-pool.js';
import type { CopyLocalCaller } from './leases/copy-on-write.js';
import type { GrantCaller } from './leases/grants.js';
import { LeaseManager } from './leases/lease-manager.js';
import { type CutCaller, Truncator } from './leases/truncate.js';
import type { OpLogObserver } from './oplog/op-log.js';
import { StateLog } from './oplog/state-log.js';
import { type HealthScan, scanHealth } from './replication/health.js';
import type { RebalanceSettings } from './replication/rebalancer.js';
import { type CloneCaller, type RepairLimits, RepairScheduler } from './replication/scheduler.js';
import { fenceChunk, type RevokeCaller } from './snapshots/fence.js';
import { Snapshotter } from './snapshots/snapshotter.js';
import { isTrashPath } from './state/trash.js';
import type { ApplyEffects, LogRecord, MasterState } from './state/types.js';

/** The master's settings that come from its command line (`gfs master --lease …`). */
export interface MasterSettings {
  dataDir: string;
  replication: number;
  leaseMs: number;
  deadAfterMs: number;
  trashRetentionMs: number;
  startupWaitMs: number;
  checkpointEveryRecords?: number;
  /** Test-only: slows checkpoint writes (master/main.ts reads GFS_TEST_CHECKPOINT_BATCH_DELAY_MS). */
  checkpointBatchDelayMs?: number;
  /** New chunks kept created ahead of demand (chunk-pool.ts); absent or 0: none. */
  chunkPoolChunks?: number;
  /** Re-replication's throttles and timings (tests shrink them; defaults from shared/limits.ts). */
  repair?: Partial<RepairLimits>;
  /** Rebalancing's rate and threshold (`--rebalance-rate`, `--rebalance-threshold`) and bounds. */
  rebalance?: Partial<RebalanceSettings>;
}

export interface MasterNodeOptions extends MasterSettings {
  chunkSizeBytes: number;
  overlappingSync?: boolean;
  clock: () => number;
  grant: GrantCaller;
  /** Many grants to one chunkserver at once (the chunk pool's refills); absent: one grant call each. */
  grantBatch?: GrantBatchCaller;
  /** Sends a chunk's truncation to its primary (truncate's cut). */
  cut: CutCaller;
  /** Orders a chunkserver to clone a chunk from another (re-replication). */
  clone: CloneCaller;
  /** Revokes a primary's lease and waits for its ordered mutations (a snapshot's fence). */
  revoke: RevokeCaller;
  /** Orders a replica to copy a shared chunk to a new handle (copy-on-write after a snapshot). */
  copyLocal: CopyLocalCaller;
  /** Commit latency and batch sizes of the operation log, for metrics. */
  oplogObserver?: OpLogObserver;
  logger: Logger;
}

export class MasterNode {
  readonly registry: ChunkserverRegistry;
  readonly gate: StartupGate;
  readonly leases: LeaseManager;
  readonly truncator: Truncator;
  readonly repair: RepairScheduler;
  readonly sweeper: TrashSweeper;
  readonly snapshots: Snapshotter;
  readonly reportContext: ReportContext;
  /** Recent lease grants, chunkservers up and dead, clones (`GET /events`). */
  readonly events: EventRing;
  /** Directory delegations against the clock, their recalls, and the routes' conflict check. */
  readonly delegations: Delegations;
  private readonly liveness: LivenessWatch;

  private constructor(
    readonly stateLog: StateLog,
    readonly options: MasterNodeOptions,
  ) {
    const { clock, logger } = options;
    this.registry = new ChunkserverRegistry(clock, options.deadAfterMs);
    this.gate = new StartupGate(stateLog.state.chunks, clock, options.startupWaitMs);
    const commit = (record: LogRecord) => this.commit(record);
    const recent = new RecentCreations(clock);
    this.leases = new LeaseManager({
      state: stateLog.state,
      commit,
      registry: this.registry,
      recent,
      gate: this.gate,
      grant: options.grant,
      copyLocal: options.copyLocal,
      ...(options.grantBatch === undefined ? {} : { grantBatch: options.grantBatch }),
      clock,
      leaseMs: options.leaseMs,
      replication: options.replication,
      chunkPool: { chunksMax: options.chunkPoolChunks ?? 0, reservedMax: CHUNK_POOL_RESERVED_MAX },
      logger: logger.child({ module: 'leases' }),
      repair: {
        mayExtend: (handle) => this.repair.mayExtend(handle),
        beforeGrant: (handle) => this.repair.beforeGrant(handle),
      },
    });
    this.repair = new RepairScheduler({
      state: stateLog.state,
      registry: this.registry,
      leases: this.leases,
      recent,
      clone: options.clone,
      clock,
      logger: logger.child({ module: 'repair' }),
      isReady: () => this.gate.isReady(),
      isTrashed: isTrashPath,
      limits: { startupHoldOffMs: options.deadAfterMs, ...options.repair },
      ...(options.rebalance === undefined ? {} : { rebalance: options.rebalance }),
    });
    this.truncator = new Truncator({
      state: stateLog.state,
      leases: this.leases,
      cut: options.cut,
      commit,
      clock,
      logger: logger.child({ module: 'truncate' }),
    });
    this.sweeper = new TrashSweeper({
      state: stateLog.state,
      commit,
      clock,
      retentionMs: options.trashRetentionMs,
      logger: logger.child({ module: 'gc' }),
    });
    const fence = {
      state: stateLog.state,
      registry: this.registry,
      leases: this.leases.leases,
      grant: options.grant,
      revoke: options.revoke,
      commit,
      logger: logger.child({ module: 'snapshots' }),
    };
    this.snapshots = new Snapshotter({
      state: stateLog.state,
      leases: this.leases,
      fence: (handle) => fenceChunk(fence, handle),
      commit,
      isReady: () => this.gate.isReady(),
      logger: fence.logger,
    });
    this.reportContext = {
      state: stateLog.state,
      registry: this.registry,
      gate: this.gate,
      commit,
      isBusy: (handle) => this.leases.isBusy(handle),
      logger: logger.child({ module: 'reports' }),
    };
    this.events = new EventRing(clock);
    this.delegations = new Delegations(stateLog.state, clock);
    this.liveness = new LivenessWatch(this.registry, this.events);
    this.feedEvents();
  }

  private feedEvents(): void {
    const { events } = this;
    this.leases.leases.onGranted = (lease) => {
      const detail = `primary=${lease.primaryId} version=${lease.version} replicas=${lease.replicaIds.length}`;
      events.add('lease-granted', lease.handle, detail);
    };
    this.repair.onClone = (record) => {
      const route = `source=${record.source} target=${record.target} purpose=${record.purpose}`;
      if (record.endedAtMs === null) {
        const replicas = `replicas=${record.replicasBefore}/${record.replication}`;
        events.add('clone-started', record.handle, `version=${record.version} ${replicas} ${route}`);
      } else {
        const tookMs = record.endedAtMs - record.startedAtMs;
        events.add('clone-ended', record.handle, `result=${record.result} tookMs=${tookMs} ${route}`);
      }
    };
  }

  /** Notes chunkservers that came up or died since the last call (the master's repair timer calls it). */
  watchLiveness(): void {
    this.liveness.check(this.options.clock());
  }

  static async open(options: MasterNodeOptions): Promise<MasterNode> {
    const stateLog = await StateLog.open({
      dataDir: options.dataDir,
      chunkSizeBytes: options.chunkSizeBytes,
      checkpointEveryRecords: options.checkpointEveryRecords,
      checkpointBatchDelayMs: options.checkpointBatchDelayMs,
      overlappingSync: options.overlappingSync,
      ...(options.oplogObserver === undefined ? {} : { oplogObserver: options.oplogObserver }),
      logger: options.logger.child({ module: 'oplog' }),
    });
    return new MasterNode(stateLog, options);
  }

  get state(): MasterState {
    return this.stateLog.state;
  }

  /** Logs a record durably, then drops the replicas of chunks no file references any more. */
  async commit(record: LogRecord): Promise<ApplyEffects | undefined> {
    const effects = await this.stateLog.commit(record);
    if (effects !== undefined) {
      for (const handle of effects.droppedHandles) {
        this.registry.dropChunk(handle);
        this.leases.leases.forget(handle);
        this.gate.reported(handle);
      }
    }
    return effects;
  }

  /** Resolves when every mutation applied to memory so far is durable (reads call it first). */
  readBarrier(): Promise<void> | undefined {
    return this.stateLog.readBarrier();
  }

  /**
   * A chunkserver registers with a full report. It has restarted (or the master has): any lease it
   * held is gone with it, so the next lease request re-grants at once instead of waiting it out.
   */
  async register(
    fields: Parameters<ChunkserverRegistry['register']>[0],
    reports: Parameters<typeof processFullReport>[2],
  ): Promise<string[]> {
    this.leases.forgetPrimary(fields.id);
    this.registry.register(fields);
    await this.processReport(fields.id, reports);
    return this.registry.takeDeletes(fields.id);
  }

  /**
   * A heartbeat's liveness part: the server is alive now, and at its first heartbeat after
   * registering, the higher versions its registration reported are adopted (reports.ts).
   * Undefined when the server is unknown (it must register).
   */
  async heartbeat(id: string, capacityBytes: number, usedBytes: number): Promise<ChunkserverInfo | undefined> {
    const info = this.registry.heartbeat(id, capacityBytes, usedBytes);
    if (info !== undefined && info.heldAdoptions.size > 0) await adoptHeldVersions(this.reportContext, info);
    return info;
  }

  async processReport(serverId: string, reports: Parameters<typeof processFullReport>[2]): Promise<void> {
    const info = this.registry.servers.get(serverId);
    if (info !== undefined) await processFullReport(this.reportContext, info, reports);
  }

  /** Every chunk against its replication goal, now (fsck, status). */
  health(listMax = FSCK_LIST_MAX): HealthScan {
    return scanHealth(this.state, this.registry, {
      now: this.options.clock(),
      isTrashed: isTrashPath,
      isBusy: (handle) => this.leases.isBusy(handle),
      listMax,
    });
  }

  /**
   * Chunks below their replication goal, lost ones included (`underReplicated` of `gfs status` and
   * the metrics). A large cluster answers from the repair scheduler's last complete scan (a few
   * seconds old at most): scanning a million chunks for every status call or scrape would stall
   * the master each time. A small one, or one not scanned yet, is scanned now.
   */
  chunksBelowGoal(): number {
    const scanned = this.repair.lastCounts;
    const counts =
      scanned !== undefined && this.state.chunks.size > STATUS_SCAN_CHUNKS_MAX ? scanned : this.health(0).counts;
    return counts.underReplicated + counts.lost;
  }

  /** Whether deletes, overwrites and replacing renames go to the trash (`--trash-retention` > 0). */
  get usesTrash(): boolean {
    return this.options.trashRetentionMs > 0;
  }

  async close(): Promise<void> {
    await this.sweeper.settled();
    await this.stateLog.close();
  }
}
