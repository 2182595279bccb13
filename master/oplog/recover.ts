// Recovery = the newest valid checkpoint + replay of the log records after it (DESIGN §2). The
// master runs it at start-up; the checkpoint builder runs it in a worker thread to rebuild the
// state at a given sequence number without touching the live one.

import { GfsError } from '../../shared/errors.js';
import { apply } from '../state/apply.js';
import { createState } from '../state/namespace-table.js';
import { fromSnapshot } from '../state/snapshot.js';
import type { MasterState } from '../state/types.js';
import { loadNewestCheckpoint } from './checkpoint.js';
import type { OpLog } from './op-log.js';

export interface RecoveredState {
  state: MasterState;
  /** Sequence number of the last record applied. */
  seq: number;
  /** The checkpoint recovery started from (0: none, the whole log was replayed). */
  checkpointSeq: number;
  /** Records replayed after the checkpoint. */
  replayed: number;
  /** Newer checkpoints that failed verification and were skipped. */
  damaged: number[];
}

/**
 * Rebuilds the state from the data dir. With `throughSeq`, stops there (checkpoints past it are
 * ignored) and fails unless the log reaches it. A gap in the log — records trimmed away that no
 * valid checkpoint covers — is an error: the master refuses to start rather than lose state.
 */
export async function recoverState(
  dataDir: string,
  chunkSizeBytes: number,
  log: OpLog,
  throughSeq?: number,
): Promise<RecoveredState> {
  const { newest: checkpoint, damaged } = await loadNewestCheckpoint(dataDir, throughSeq);
  const state = checkpoint ? fromSnapshot(checkpoint.snapshot, { copy: false }) : createState(chunkSizeBytes);
  const checkpointSeq = checkpoint?.seq ?? 0;
  let seq = checkpointSeq;
  for (const entry of log.recordsAfter(checkpointSeq, throughSeq)) {
    if (entry.seq !== seq + 1) {
      throw new GfsError('INTERNAL', `op log gap: record ${seq + 1} missing, next is ${entry.seq}`, dataDir);
    }
    apply(state, entry.record);
    seq = entry.seq;
  }
  if (throughSeq !== undefined && seq !== throughSeq) {
    throw new GfsError('INTERNAL', `op log ends at ${seq}, before ${throughSeq}`, dataDir);
  }
  return { state, seq, checkpointSeq, replayed: seq - checkpointSeq, damaged };
}
