// The ids of recent creates (MasterState.recentCreates): what lets a create sent again after its
// answer was lost be told from a create of a path someone else made.

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
