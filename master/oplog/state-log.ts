// The master state behind its operation log: the I/O shell around the pure state machine.
// commit() checks a record, gives it the next sequence number, applies it to memory at once (so
// memory order = log order and the next check sees it) and resolves only when it is durable.
// Recovery = newest valid checkpoint + replay of the records after it (recover.ts). Checkpoints
// are built off the main thread from the previous checkpoint and the log (checkpoint-builder.ts);
// the two newest are kept, and the log is trimmed only up to the older one, so a newest checkpoint
// found damaged later still falls back to the previous one and a longer replay.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GfsError } from '../../shared/errors.js';
import { CHECKPOINT_EVERY_RECORDS } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import { apply } from '../state/apply.js';
import { check } from '../state/check.js';
import type { ApplyEffects, LogRecord, MasterState } from '../state/types.js';
import { listTempCheckpoints, pruneCheckpoints } from './checkpoint.js';
import { type CheckpointRunner, runCheckpointBuild } from './checkpoint-builder.js';
import { OpLog, type OpLogObserver } from './op-log.js';
import { recoverState } from './recover.js';

export interface StateLogOptions {
  dataDir: string;
  chunkSizeBytes: number;
  checkpointEveryRecords?: number;
  overlappingSync?: boolean;
  /** Where checkpoints are built (default: a worker thread). */
  checkpointRunner?: CheckpointRunner;
  /** Test-only slowdown of checkpoint writes (GFS_TEST_CHECKPOINT_BATCH_DELAY_MS). */
  checkpointBatchDelayMs?: number;
  /** Commit latency and batch sizes, for metrics. */
  oplogObserver?: OpLogObserver;
  logger: Logger;
}

export class StateLog {
  /** Records appended since this process started (for metrics). */
  recordsAppended = 0;
  private appliedSeq: number;
  private durableSeq: number;
  /** The newest checkpoint, or the one being built (so the trigger does not fire again meanwhile). */
  private checkpointSeq: number;
  private writtenCheckpointSeq: number;
  private lastAppend: Promise<void> = Promise.resolve();
  private checkpointing: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** Checkpoints already reported damaged (they stay until the next checkpoint prunes them). */
  private readonly knownDamaged = new Set<number>();
  private failure: unknown;

  private constructor(
    readonly state: MasterState,
    private readonly log: OpLog,
    seq: number,
    checkpointSeq: number,
    private readonly options: StateLogOptions,
  ) {
    this.appliedSeq = seq;
    this.durableSeq = seq;
    this.checkpointSeq = checkpointSeq;
    this.writtenCheckpointSeq = checkpointSeq;
  }

  static async open(options: StateLogOptions): Promise<StateLog> {
    const { dataDir, logger } = options;
    for (const name of await listTempCheckpoints(dataDir)) {
      logger.warn(`unfinished checkpoint removed file=${name} (its writer stopped before renaming it)`);
      await rm(join(dataDir, name), { force: true });
    }
    const log = new OpLog(dataDir, {
      overlappingSync: options.overlappingSync ?? false,
      ...(options.oplogObserver === undefined ? {} : { observer: options.oplogObserver }),
    });
    let recovered: Awaited<ReturnType<typeof recoverState>>;
    try {
      recovered = await recoverState(dataDir, options.chunkSizeBytes, log);
    } catch (error) {
      await log.close();
      throw error;
    }
    const { state, seq, checkpointSeq, replayed, damaged } = recovered;
    if (damaged.length > 0) {
      logger.warn(`damaged checkpoints skipped seqs=${damaged.join(',')} using=${checkpointSeq} (longer replay)`);
    }
    logger.info(`state recovered checkpoint=${checkpointSeq} replayed=${replayed} seq=${seq}`);
    const stateLog = new StateLog(state, log, seq, checkpointSeq, options);
    for (const damagedSeq of damaged) stateLog.knownDamaged.add(damagedSeq);
    // A long replay now means a long one at the next start too: checkpoint it in the background.
    stateLog.maybeCheckpoint();
    return stateLog;
  }

  /** Sequence number of the last record applied to memory. */
  get seq(): number {
    return this.appliedSeq;
  }

  /** Sequence number of the newest checkpoint written (0: none yet). */
  get lastCheckpointSeq(): number {
    return this.writtenCheckpointSeq;
  }

  /**
   * Checks, logs and applies a record. Resolves with its effects once it is durable, or with
   * undefined when the record would change nothing (nothing is logged then).
   */
  async commit(record: LogRecord): Promise<ApplyEffects | undefined> {
    if (this.failure !== undefined) throw new GfsError('INTERNAL', 'operation log failed; restart the master');
    if (!check(this.state, record)) {
      await this.readBarrier();
      return undefined;
    }
    const seq = ++this.appliedSeq;
    const effects = apply(this.state, record);
    this.recordsAppended++;
    const appended = this.log.append(seq, record).then(
      () => {
        if (seq > this.durableSeq) this.durableSeq = seq;
      },
      (error: unknown) => {
        this.failure ??= error;
        this.options.logger.fatal({ err: error }, `op log append failed seq=${seq}`);
        throw new GfsError('INTERNAL', 'operation log write failed');
      },
    );
    this.lastAppend = appended;
    this.maybeCheckpoint();
    await appended;
    return effects;
  }

  /**
   * Resolves when everything applied to memory so far is durable; undefined when it already is, so
   * reads stay synchronous when no mutation is in flight.
   */
  readBarrier(): Promise<void> | undefined {
    return this.durableSeq >= this.appliedSeq ? undefined : this.lastAppend;
  }

  private maybeCheckpoint(): void {
    const every = this.options.checkpointEveryRecords ?? CHECKPOINT_EVERY_RECORDS;
    if (this.checkpointing !== undefined || this.appliedSeq - this.checkpointSeq < every) return;
    this.checkpointing = this.writeCheckpointNow().finally(() => {
      this.checkpointing = undefined;
    });
  }

  /** Writes a checkpoint of the state as of now and trims the log (after any running one). */
  async checkpoint(): Promise<void> {
    await this.checkpointing;
    await this.writeCheckpointNow();
  }

  private async writeCheckpointNow(): Promise<void> {
    const seq = this.appliedSeq;
    if (seq === this.writtenCheckpointSeq) return;
    this.checkpointSeq = seq;
    const { dataDir, logger } = this.options;
    try {
      // Only durable records go into a checkpoint: the builder reads them back from the log.
      await this.lastAppend;
      logger.info(`checkpoint started seq=${seq}`);
      const runner = this.options.checkpointRunner ?? runCheckpointBuild;
      const built = await runner(
        {
          dataDir,
          chunkSizeBytes: this.options.chunkSizeBytes,
          seq,
          overlappingSync: this.options.overlappingSync ?? false,
          ...(this.options.checkpointBatchDelayMs ? { batchDelayMs: this.options.checkpointBatchDelayMs } : {}),
        },
        this.stopping.signal,
      );
      this.writtenCheckpointSeq = seq;
      const newlyDamaged = built.damaged.filter((damagedSeq) => !this.knownDamaged.has(damagedSeq));
      if (newlyDamaged.length > 0) logger.warn(`damaged checkpoints skipped seqs=${newlyDamaged.join(',')}`);
      // Keep the one it was built from, and the log after it: the fallback if this one goes bad.
      const keep = built.baseSeq > 0 ? [seq, built.baseSeq] : [seq];
      const trimmed = built.baseSeq > 0 ? await this.log.trimThrough(built.baseSeq) : 0;
      const removed = await pruneCheckpoints(dataDir, keep);
      logger.info(
        `checkpoint written seq=${seq} bytes=${built.bytes} base=${built.baseSeq} replayed=${built.replayed} ` +
          `rebuildMs=${built.rebuildMs} writeMs=${built.writeMs} trimmedThrough=${built.baseSeq} trimmed=${trimmed} ` +
          `removed=${removed.join(',') || '-'}`,
      );
    } catch (error) {
      if (this.stopping.signal.aborted) logger.info(`checkpoint abandoned seq=${seq} (master stopping)`);
      else logger.error({ err: error }, `checkpoint failed seq=${seq}`);
    }
  }

  async close(): Promise<void> {
    // A checkpoint in progress is abandoned: its temp file is removed at the next start.
    this.stopping.abort();
    await this.checkpointing;
    await this.lastAppend.catch(() => undefined);
    await this.log.close();
  }
}
