// The master bench's data: a master data dir whose operation log holds `files` files of one chunk
// each (create, addChunk, extend; a mkdir per 1,000 files and a reserveHandles per 1,024
// chunks), written straight into the LMDB log in batches — what a master would have logged, far
// faster than through its API. Records are deterministic, so runs compare.

import { openDataDir } from '../master/oplog/data-dir.js';
import { OpLog } from '../master/oplog/op-log.js';
import type { LogRecord } from '../master/state/types.js';

const FILES_PER_DIR = 1_000;
const HANDLES_PER_RESERVATION = 1_024;
/** Appends issued per event-loop turn: one LMDB group commit each. */
const RECORDS_PER_BATCH = 20_000;
const CHUNK_SIZE_BYTES = 64 * 1024 * 1024;
const MTIME_MS = Date.UTC(2026, 10, 1);

/** Where each bench file lives: the stat probe asks for one of these. */
export function benchFilePath(index: number): string {
  return `/bench/d${Math.floor(index / FILES_PER_DIR)}/file-${index}`;
}

function* records(files: number): Generator<LogRecord> {
  yield { op: 'mkdir', path: '/bench', parents: false, mode: 0o755, mtimeMs: MTIME_MS };
  let nextHandle = 1;
  for (let i = 0; i < files; i++) {
    if (i % FILES_PER_DIR === 0) {
      const dir = benchFilePath(i).slice(0, benchFilePath(i).lastIndexOf('/'));
      yield { op: 'mkdir', path: dir, parents: false, mode: 0o755, mtimeMs: MTIME_MS };
    }
    if ((i + 1) % HANDLES_PER_RESERVATION === 1) {
      yield { op: 'reserveHandles', nextHandle: String(i + 1 + HANDLES_PER_RESERVATION) };
    }
    const path = benchFilePath(i);
    const mtimeMs = MTIME_MS + i;
    yield { op: 'create', path, overwrite: false, replication: 3, mode: 0o644, mtimeMs };
    yield { op: 'addChunk', path, index: 0, handle: String(nextHandle++), version: 1 };
    yield { op: 'extend', path, length: 1 + ((i * 7919) % CHUNK_SIZE_BYTES), mtimeMs };
  }
}

/** Writes the log; returns the number of records. */
export async function writeBenchLog(dataDir: string, files: number): Promise<number> {
  await openDataDir(dataDir, CHUNK_SIZE_BYTES);
  const log = new OpLog(dataDir);
  let seq = 0;
  try {
    let batch: Promise<void>[] = [];
    for (const record of records(files)) {
      batch.push(log.append(++seq, record));
      if (batch.length >= RECORDS_PER_BATCH) {
        await Promise.all(batch);
        batch = [];
      }
    }
    await Promise.all(batch);
  } finally {
    await log.close();
  }
  return seq;
}
