// The ids of recent creates (MasterState.recentCreates): what lets a create sent again after its
// answer was lost be told from a create of a path someone else made. Kept in the checkpoint
// (snapshot.ts) as well as rebuilt from the log, because recovery replays only the log after the
// newest checkpoint: without it, a checkpoint written between a create and its retry would make
// the master forget the id, and the retry would fail with ALREADY_EXISTS after a restart.

import { RECENT_CREATES_MAX } from '../../shared/limits.js';
import type { FileEntry, MasterState } from './types.js';

/** Keeps the last RECENT_CREATES_MAX creates' ids (Map order is insertion order: oldest first). */
export function rememberCreate(recent: Map<string, string>, path: string, createId: string): void {
  recent.delete(path);
  recent.set(path, createId);
  if (recent.size > RECENT_CREATES_MAX) {
    const oldest = recent.keys().next().value;
    if (oldest !== undefined) recent.delete(oldest);
  }
}

/** The file at `path`, when the create with `createId` made it: that create retried. */
export function createdBy(state: MasterState, path: string, createId: string): FileEntry | undefined {
  const entry = state.entries.get(path);
  if (entry?.type !== 'file' || state.recentCreates.get(path) !== createId) return undefined;
  return entry;
}

/**
 * The table a checkpoint holds, oldest first, as a Map takes them back. Only the newest
 * RECENT_CREATES_MAX are kept, so a checkpoint written under a larger bound loads within this one.
 */
export function recentCreatesFrom(saved: ReadonlyArray<[string, string]> | undefined): Map<string, string> {
  if (saved === undefined) return new Map();
  return new Map(saved.length > RECENT_CREATES_MAX ? saved.slice(-RECENT_CREATES_MAX) : saved);
}
