// Entry point of the checkpoint worker thread (checkpoint-builder.ts): builds one checkpoint from
// `workerData` and posts back what it built, or why it failed, then exits.

import { constants, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { buildCheckpoint, type CheckpointJob } from './checkpoint-builder.js';

// On Linux a nice value belongs to a thread, and pid 0 means the calling thread: this lowers the
// worker alone, so on a busy machine the master's main thread (and its mutations) goes first.
try {
  setPriority(0, constants.priority.PRIORITY_LOW);
} catch {
  // Not permitted here (or another OS): the checkpoint still runs, only at normal priority.
}

buildCheckpoint(workerData as CheckpointJob).then(
  (built) => parentPort?.postMessage({ built }),
  (error: unknown) => parentPort?.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
