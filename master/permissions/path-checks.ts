// Permission checks of namespace operations against the path table (issue 7 item 3), as HDFS
// does them: execute on every ancestor directory to reach a path, then what the operation needs
// on the entry or its parent. A missing path passes here: the operation itself answers NOT_FOUND,
// so a check never turns a plain error into a permission one (nor leaks more than it).

import { GfsError } from '../../shared/errors.js';
import { ancestorsOf, baseName, joinPath, parentPath, ROOT_PATH } from '../../shared/paths.js';
import type { Caller } from '../http/caller.js';
import { isTrashPath } from '../state/trash.js';
import type { MasterState, NamespaceEntry } from '../state/types.js';
import { describeAccess, EXECUTE, owns, permits, READ, stickyAllows, WRITE } from './access.js';

/**
 * Superusers pass; so do paths in the trash, which every operation refuses (or hides) by itself
 * with the code it documents (NOT_FOUND, INVALID_PATH), not a permission error.
 */
function exempt(caller: Caller, path: string): boolean {
  return caller.superuser || isTrashPath(path);
}

function denied(caller: Caller, why: string, path: string): GfsError {
  return new GfsError('PERMISSION_DENIED', `permission denied (${caller.user} ${why})`, path);
}

function lacks(caller: Caller, wanted: number, on: string, path: string): GfsError {
  return denied(caller, `needs ${describeAccess(wanted)} on ${on}`, path);
}

/** Execute on every existing directory above `path` (`/` included). `subject`: the path the error names. */
export function requireTraverse(state: MasterState, caller: Caller, path: string, subject = path): void {
  if (exempt(caller, path) || path === ROOT_PATH) return;
  for (const ancestor of [ROOT_PATH, ...ancestorsOf(path)]) {
    const entry = state.entries.get(ancestor);
    if (entry === undefined || entry.type !== 'dir') return;
    if (!permits(caller, entry, EXECUTE)) throw lacks(caller, EXECUTE, ancestor, subject);
  }
}

/** Reaching `path`, then `wanted` on its entry (when it exists). */
export function requireAccess(state: MasterState, caller: Caller, path: string, wanted: number, subject = path): void {
  if (exempt(caller, path)) return;
  requireTraverse(state, caller, path, subject);
  const entry = state.entries.get(path);
  if (entry !== undefined && !permits(caller, entry, wanted)) throw lacks(caller, wanted, path, subject);
}

/**
 * What adding, removing or replacing the name `path` in its directory takes: write and execute on
 * the parent, and the sticky bit's consent when an entry is there already.
 */
export function requireParentWrite(state: MasterState, caller: Caller, path: string): void {
  if (exempt(caller, path)) return;
  const parent = parentPath(path);
  requireAccess(state, caller, parent, WRITE | EXECUTE, path);
  const parentEntry = state.entries.get(parent);
  const entry = state.entries.get(path);
  if (parentEntry !== undefined && entry !== undefined && !stickyAllows(caller, parentEntry, entry)) {
    throw denied(caller, `may not remove ${baseName(path)} from a sticky directory it does not own`, path);
  }
}

/**
 * mkdir -p and restore create missing directories: write and execute on the deepest directory
 * that exists already (the one that gets the new name).
 */
export function requireCreateBelow(state: MasterState, caller: Caller, path: string): void {
  if (exempt(caller, path)) return;
  let existing = parentPath(path);
  while (existing !== ROOT_PATH && !state.entries.has(existing)) existing = parentPath(existing);
  requireAccess(state, caller, existing, WRITE | EXECUTE, path);
}

/** Owner (or superuser): chmod. */
export function requireOwner(state: MasterState, caller: Caller, path: string): void {
  if (exempt(caller, path)) return;
  requireTraverse(state, caller, path);
  const entry = state.entries.get(path);
  if (entry !== undefined && !owns(caller, entry)) throw denied(caller, 'is not the owner', path);
}

/**
 * `wanted` on every entry of the tree at `path`, and read+execute on its directories to walk it:
 * a recursive delete needs write+execute on every non-empty directory (HDFS's subAccess), a
 * snapshot read on everything it copies.
 */
export function requireSubtree(
  state: MasterState,
  caller: Caller,
  path: string,
  fileAccess: number,
  dirAccess: number,
): void {
  if (exempt(caller, path)) return;
  const walk = (at: string, entry: NamespaceEntry): void => {
    if (entry.type === 'file') {
      if (fileAccess !== 0 && !permits(caller, entry, fileAccess)) throw lacks(caller, fileAccess, at, path);
      return;
    }
    const names = state.children.get(at);
    if (names === undefined || names.size === 0) return;
    if (!permits(caller, entry, dirAccess)) throw lacks(caller, dirAccess, at, path);
    for (const name of names) {
      const childPath = joinPath(at, name);
      const child = state.entries.get(childPath);
      if (child !== undefined) walk(childPath, child);
    }
  };
  const root = state.entries.get(path);
  if (root !== undefined) walk(path, root);
}

export { EXECUTE, READ, WRITE };
