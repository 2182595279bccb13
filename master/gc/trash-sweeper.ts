// Garbage collection, the namespace half (GFS §4.4): trashed entries whose retention is over are
// purged from the namespace by a logged `purge` record; the chunks no file references any more
// leave the chunk table, and MasterNode.commit has their replicas deleted through the holders'
// next heartbeat replies (orphans a holder reports later are deleted the same way). The clock is
// the deletion time logged with each entry, so a restarted master sweeps exactly as before.

import { TRASH_PURGE_BATCH_MAX, TRASH_PURGE_BATCHES_PER_SWEEP_MAX } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import { expiredTrash } from '../state/trash.js';
import type { ApplyEffects, LogRecord, MasterState } from '../state/types.js';

export interface TrashSweeperDeps {
  state: MasterState;
  commit(record: LogRecord): Promise<ApplyEffects | undefined>;
  clock: () => number;
  /** `--trash-retention`: how long an entry stays restorable after its deletion. */
  retentionMs: number;
  logger: Logger;
  batchMax?: number;
  batchesPerSweepMax?: number;
}

export interface SweepResult {
  /** Trash entries purged. */
  entries: number;
  /** Chunks that no file references any more (their replicas are being deleted). */
  chunks: number;
}

export class TrashSweeper {
  /** Totals since start, for /metrics. */
  entriesPurged = 0;
  chunksDropped = 0;
  private running: Promise<SweepResult> | undefined;

  constructor(private readonly deps: TrashSweeperDeps) {}

  /**
   * Purges every entry past its retention, in records of at most batchMax entries and at most
   * batchesPerSweepMax records per sweep (the rest wait for the next). One sweep at a time: a call
   * while one runs shares it.
   */
  sweep(): Promise<SweepResult> {
    this.running ??= this.sweepNow().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when the sweep in flight, if any, is over (before the log closes). */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async sweepNow(): Promise<SweepResult> {
    const { state, clock, retentionMs, logger } = this.deps;
    const batchMax = this.deps.batchMax ?? TRASH_PURGE_BATCH_MAX;
    const result: SweepResult = { entries: 0, chunks: 0 };
    for (let batch = 0; batch < (this.deps.batchesPerSweepMax ?? TRASH_PURGE_BATCHES_PER_SWEEP_MAX); batch++) {
      const names = expiredTrash(state, clock(), retentionMs, batchMax);
      if (names.length === 0) break;
      const effects = await this.deps.commit({ op: 'purge', names });
      const chunks = effects?.droppedHandles.length ?? 0;
      result.entries += names.length;
      result.chunks += chunks;
      this.entriesPurged += names.length;
      this.chunksDropped += chunks;
      logger.info(`trash purged entries=${names.length} chunks=${chunks} first=${names[0]} retentionMs=${retentionMs}`);
      if (names.length < batchMax) break;
    }
    return result;
  }
}
