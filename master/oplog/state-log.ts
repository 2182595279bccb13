// The master state behind its operation log: the I/O shell around the pure state machine.
// commit() checks a record, gives it the next sequence number, applies it to memory at once (so
// memory order = log order and the next check sees it) and resolves only when it is durable.
// Recovery = newest valid checkpoint + replay of the records after it.

import { GfsError } from '../../shared/errors.js';
import { CHECKPOINT_EVERY_RECORDS } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import { apply } from '../state/apply.js';
import { check } from '../state/check.js';
import { createState } from '../state/namespace-table.js';
import { fromSnapshot, toSnapshot } from '../state/snapshot.js';
import type { ApplyEffects, LogRecord, MasterState } from '../state/types.js';
import { encodeCheckpoint, loadNewestCheckpoint, pruneCheckpoints, writeCheckpoint } from './checkpoint.js';
import { OpLog } from './op-log.js';

export interface StateLogOptions {
  dataDir: string;
  chunkSizeBytes: number;
  checkpointEveryRecords?: number;
  overlappingSync?: boolean;
  logger: Logger;
}

export class StateLog {
  /** Records appended since this process started (for metrics). */
  recordsAppended = 0;
  private appliedSeq: number;
  private durableSeq: number;
  private checkpointSeq: number;
  private lastAppend: Promise<void> = Promise.resolve();
  private checkpointing: Promise<void> | undefined;
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
  }

  static async open(options: StateLogOptions): Promise<StateLog> {
    const logger = options.logger;
    const checkpoint = await loadNewestCheckpoint(options.dataDir);
    if (checkpoint !== undefined && checkpoint.damaged.length > 0) {
      logger.warn(`damaged checkpoints skipped seqs=${checkpoint.damaged.join(',')}`);
    }
    const state = checkpoint ? fromSnapshot(checkpoint.snapshot) : createState(options.chunkSizeBytes);
    const checkpointSeq = checkpoint?.seq ?? 0;
    const log = new OpLog(options.dataDir, { overlappingSync: options.overlappingSync ?? false });
    let seq = checkpointSeq;
    try {
      for (const entry of log.recordsAfter(checkpointSeq)) {
        if (entry.seq !== seq + 1) {
          throw new GfsError(
            'INTERNAL',
            `op log gap: record ${seq + 1} missing, next is ${entry.seq}`,
            options.dataDir,
          );
        }
        apply(state, entry.record);
        seq = entry.seq;
      }
    } catch (error) {
      await log.close();
      throw error;
    }
    logger.info(`state recovered checkpoint=${checkpointSeq} replayed=${seq - checkpointSeq} seq=${seq}`);
    return new StateLog(state, log, seq, checkpointSeq, options);
  }

  /** Sequence number of the last record applied to memory. */
  get seq(): number {
    return this.appliedSeq;
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

  /** Writes a checkpoint of the state as of now and trims the log it covers (after any running one). */
  async checkpoint(): Promise<void> {
    await this.checkpointing;
    await this.writeCheckpointNow();
  }

  private async writeCheckpointNow(): Promise<void> {
    const seq = this.appliedSeq;
    const encoded = encodeCheckpoint(seq, toSnapshot(this.state));
    const durable = this.lastAppend;
    this.checkpointSeq = seq;
    try {
      // Only durable records go into a checkpoint file.
      await durable;
      await writeCheckpoint(this.options.dataDir, seq, encoded);
      const trimmed = await this.log.trimThrough(seq);
      await pruneCheckpoints(this.options.dataDir, seq);
      this.options.logger.info(`checkpoint written seq=${seq} bytes=${encoded.length} trimmed=${trimmed}`);
    } catch (error) {
      this.options.logger.error({ err: error }, `checkpoint failed seq=${seq}`);
    }
  }

  async close(): Promise<void> {
    await this.checkpointing;
    await this.lastAppend.catch(() => undefined);
    await this.log.close();
  }
}
