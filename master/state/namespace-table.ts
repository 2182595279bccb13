// Low-level edits of the path table that keep the derived indexes (children per directory, file
// count) in step. Used only by apply and snapshot loading; no validation here.

import { baseName, joinPath, parentPath, ROOT_PATH } from '../../shared/paths.js';
import { DIR_MODE_DEFAULT, type MasterState, type NamespaceEntry } from './types.js';

export function createState(chunkSizeBytes: number): MasterState {
  const state: MasterState = {
    chunkSizeBytes,
    entries: new Map(),
    children: new Map(),
    chunks: new Map(),
    nextHandle: 1n,
    fileCount: 0,
  };
  putEntry(state, ROOT_PATH, { type: 'dir', mtimeMs: 0, mode: DIR_MODE_DEFAULT });
  return state;
}

/** Inserts or replaces the entry at `path` (whose parent exists) and updates the indexes. */
export function putEntry(state: MasterState, path: string, entry: NamespaceEntry): void {
  const previous = state.entries.get(path);
  if (previous?.type === 'file') state.fileCount--;
  if (previous?.type === 'dir' && entry.type !== 'dir') state.children.delete(path);
  state.entries.set(path, entry);
  if (entry.type === 'file') state.fileCount++;
  if (entry.type === 'dir' && !state.children.has(path)) state.children.set(path, new Set());
  if (path !== ROOT_PATH && previous === undefined) state.children.get(parentPath(path))?.add(baseName(path));
}

/** Removes the entry at `path` (a file or an empty directory) and updates the indexes. */
export function removeEntry(state: MasterState, path: string): void {
  const previous = state.entries.get(path);
  if (previous === undefined) return;
  state.entries.delete(path);
  if (previous.type === 'file') state.fileCount--;
  else state.children.delete(path);
  state.children.get(parentPath(path))?.delete(baseName(path));
}

/** Every path at or below `path`, parents before children (depth-first, O(subtree)). */
export function subtreeOf(state: MasterState, path: string): string[] {
  const out: string[] = [];
  const stack = [path];
  while (stack.length > 0) {
    const current = stack.pop() as string;
    out.push(current);
    const names = state.children.get(current);
    if (names !== undefined) for (const name of names) stack.push(joinPath(current, name));
  }
  return out;
}

/** Drops one file's reference to each of its chunks; returns the handles no file references now. */
export function releaseChunks(state: MasterState, handles: readonly string[]): string[] {
  const dropped: string[] = [];
  for (const handle of handles) {
    const meta = state.chunks.get(handle);
    if (meta === undefined) continue;
    meta.refcount--;
    if (meta.refcount <= 0) {
      state.chunks.delete(handle);
      dropped.push(handle);
    }
  }
  return dropped;
}
