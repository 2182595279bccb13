// Builds a checkpoint off the main thread (docs/design.md, "Checkpoints"): a worker thread opens
// the same LMDB log (LMDB allows concurrent readers; lmdb-js shares one environment between the
// threads of a process), rebuilds the state at `seq` from the newest valid checkpoint + the log
// records up to `seq`, streams it to `checkpoint-<seq>.json`, and reads the file back to verify it.
// It never touches the live state, so the master's mutations go on meanwhile, paying only for the
// second core the worker uses.

import { Worker } from 'node:worker_threads';
import { toSnapshot } from '../state/snapshot.js';
import { isCheckpointValid, writeCheckpoint } from './checkpoint.js';
import { OpLog } from './op-log.js';
import { recoverState } from './recover.js';

export interface CheckpointJob {
  dataDir: string;
  chunkSizeBytes: number;
  /** Every record up to here is durable in the log: the checkpoint covers exactly them. */
  seq: number;
  overlappingSync: boolean;
  /** Test-only slowdown of the write (checkpoint.ts, CheckpointWriteOptions). */
  batchDelayMs?: number;
}

export interface CheckpointBuilt {
  seq: number;
  bytes: number;
  /** The checkpoint it was built from (0: the whole log). */
  baseSeq: number;
  replayed: number;
  /** Checkpoints that failed verification on the way. */
  damaged: number[];
  /** Time spent rebuilding the state and writing it. */
  rebuildMs: number;
  writeMs: number;
}

/** Rebuilds the state at `job.seq` and writes and verifies its checkpoint (in whatever thread runs it). */
export async function buildCheckpoint(job: CheckpointJob): Promise<CheckpointBuilt> {
  const started = performance.now();
  const log = new OpLog(job.dataDir, { overlappingSync: job.overlappingSync });
  try {
    const recovered = await recoverState(job.dataDir, job.chunkSizeBytes, log, job.seq);
    const rebuilt = performance.now();
    const bytes = await writeCheckpoint(job.dataDir, job.seq, toSnapshot(recovered.state), {
      ...(job.batchDelayMs === undefined ? {} : { batchDelayMs: job.batchDelayMs }),
    });
    // Pair check: what was written reads back whole before the log it covers may be trimmed.
    if (!(await isCheckpointValid(job.dataDir, job.seq))) {
      throw new Error(`checkpoint ${job.seq} does not verify after writing`);
    }
    return {
      seq: job.seq,
      bytes,
      baseSeq: recovered.checkpointSeq,
      replayed: recovered.replayed,
      damaged: recovered.damaged,
      rebuildMs: Math.round(rebuilt - started),
      writeMs: Math.round(performance.now() - rebuilt),
    };
  } finally {
    await log.close();
  }
}

/** Runs a checkpoint build somewhere off the live state; rejects when aborted. */
export type CheckpointRunner = (job: CheckpointJob, signal: AbortSignal) => Promise<CheckpointBuilt>;

const WORKER_URL = new URL('./checkpoint-worker.js', import.meta.url);

/**
 * Runs the build in a worker thread. Loaded from TypeScript sources (unit tests under vitest), the
 * worker's compiled file does not exist and a worker cannot load TypeScript: there the build runs
 * on the calling thread — the same code, only not off the main thread.
 */
export const runCheckpointBuild: CheckpointRunner = (job, signal) => {
  if (import.meta.url.endsWith('.ts')) return buildCheckpoint(job);
  return new Promise<CheckpointBuilt>((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: job });
    let built: CheckpointBuilt | undefined;
    let failure: unknown;
    const abort = () => {
      failure ??= new Error('checkpoint aborted');
      void worker.terminate();
    };
    signal.addEventListener('abort', abort, { once: true });
    worker.once('message', (message: { built?: CheckpointBuilt; error?: string }) => {
      if (message.built !== undefined) built = message.built;
      else failure ??= new Error(message.error ?? 'checkpoint worker failed');
    });
    worker.once('error', (error) => {
      failure ??= error;
    });
    worker.once('exit', (code) => {
      signal.removeEventListener('abort', abort);
      if (built !== undefined && failure === undefined) resolve(built);
      else reject(failure ?? new Error(`checkpoint worker exited with code ${code}`));
    });
  });
};
