// The trash (GFS §4.4, issue 5 item 5): a deleted file or directory tree moves whole to a hidden
// name below TRASH_ROOT, `<deletion time ms>-<id>`, and the trash table remembers where it was and
// when it was deleted. `gfs restore` moves it back; after the retention a sweep purges it, and
// chunks no file holds any more are deleted on the chunkservers. Re-replication (live files
// before trashed ones) and fsck (trashed files' chunks too) read the trash through isTrashPath.
// Pure helpers over the state: no I/O, no clock.

import { isSameOrBelow, joinPath } from '../../shared/paths.js';
import type { MasterState, NamespaceEntry, TrashInfo } from './types.js';

/** The hidden directory of trashed entries. Clients never see it (master/http/visible-path.ts). */
export const TRASH_ROOT = '/.gfs-trash';

export function isTrashPath(path: string): boolean {
  return isSameOrBelow(path, TRASH_ROOT);
}

/** A trashed entry's name: its deletion time (as GFS's hidden names carry it) and a unique id. */
export function trashName(id: number, deletedAtMs: number): string {
  return `${deletedAtMs}-${id}`;
}

/** Where the tree of the trash entry `name` lives. */
export function trashEntryPath(name: string): string {
  return joinPath(TRASH_ROOT, name);
}

/** Where `path` (the entry's original path or one below it) lies inside the trash entry. */
export function trashedPathOf(name: string, info: TrashInfo, path: string): string {
  return trashEntryPath(name) + path.slice(info.path.length);
}

export interface TrashedMatch {
  name: string;
  info: TrashInfo;
  /** Where `path` lies in the trash now. */
  trashedPath: string;
}

/**
 * The most recently deleted trash entry that holds `path`: an entry deleted at `path` itself, or a
 * trashed directory that held it. O(trash entries); restores are rare.
 */
export function findTrashed(state: MasterState, path: string): TrashedMatch | undefined {
  let found: TrashedMatch | undefined;
  for (const [name, info] of state.trash) {
    if (!isSameOrBelow(path, info.path)) continue;
    const trashedPath = trashedPathOf(name, info, path);
    // Later entries were deleted later (the table is in deletion order): the last match wins.
    if (state.entries.has(trashedPath)) found = { name, info, trashedPath };
  }
  return found;
}

/**
 * Names of entries whose retention is over at `nowMs`, oldest first, at most `max`. The table is in
 * deletion order, so the walk stops at the first entry still within its retention: O(result)
 * (a clock set back between two deletions only delays the later one until the earlier expires).
 */
export function expiredTrash(state: MasterState, nowMs: number, retentionMs: number, max: number): string[] {
  const names: string[] = [];
  for (const [name, info] of state.trash) {
    if (names.length >= max || info.deletedAtMs + retentionMs > nowMs) break;
    names.push(name);
  }
  return names;
}

export interface TrashListing {
  name: string;
  /** The original path. */
  path: string;
  type: NamespaceEntry['type'];
  /** Bytes of the file, or of every file in the trashed tree. */
  sizeBytes: number;
  files: number;
  deletedAtMs: number;
}

/**
 * The newest `max` trash entries, oldest first, with their sizes; `total` counts them all. With
 * `shows`, only the entries whose trashed root it accepts (a user sees what they deleted).
 */
export function listTrash(
  state: MasterState,
  max: number,
  shows?: (entry: NamespaceEntry) => boolean,
): { entries: TrashListing[]; total: number } {
  const listed =
    shows === undefined
      ? state.trash
      : [...state.trash].filter(([name]) => {
          const entry = state.entries.get(trashEntryPath(name));
          return entry !== undefined && shows(entry);
        });
  const total = shows === undefined ? state.trash.size : (listed as unknown[]).length;
  const entries: TrashListing[] = [];
  let skip = Math.max(0, total - max);
  for (const [name, info] of listed) {
    if (skip > 0) {
      skip--;
      continue;
    }
    const root = trashEntryPath(name);
    const entry = state.entries.get(root);
    if (entry === undefined) continue;
    const { sizeBytes, files } = sizeOfTree(state, root);
    entries.push({ name, path: info.path, type: entry.type, sizeBytes, files, deletedAtMs: info.deletedAtMs });
  }
  return { entries, total };
}

function sizeOfTree(state: MasterState, root: string): { sizeBytes: number; files: number } {
  let sizeBytes = 0;
  let files = 0;
  const stack = [root];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    const entry = state.entries.get(path);
    if (entry?.type === 'file') {
      sizeBytes += entry.length;
      files++;
    }
    for (const name of state.children.get(path) ?? []) stack.push(joinPath(path, name));
  }
  return { sizeBytes, files };
}
