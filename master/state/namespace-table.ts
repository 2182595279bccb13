// Low-level edits of the path table that keep the derived indexes (children per directory, file
// counts inside and outside the trash) in step. Used only by apply and snapshot loading; no
// validation here.

import { assert } from '../../shared/assert.js';
import { baseName, joinPath, parentPath, ROOT_PATH } from '../../shared/paths.js';
import { isTrashPath } from './trash.js';
import { DIR_MODE_DEFAULT, type FileEntry, type MasterState, type NamespaceEntry } from './types.js';

/**
 * Chunk lists up to this long grow by copying into an exact-size array (concat; a spread or a push
 * reserves room for 16 more elements: ~150 bytes of slack on every one- or two-chunk file).
 */
const EXACT_CHUNK_LIST_MAX = 16;

export function createState(chunkSizeBytes: number): MasterState {
  const state: MasterState = {
    chunkSizeBytes,
    entries: new Map(),
    children: new Map(),
    chunks: new Map(),
    nextHandle: 1n,
    trash: new Map(),
    nextTrashId: 1,
    fileCount: 0,
    trashFileCount: 0,
    recentCreates: new Map(),
    delegations: new Map(),
  };
  putEntry(state, ROOT_PATH, { type: 'dir', mtimeMs: 0, mode: DIR_MODE_DEFAULT });
  return state;
}

/** Inserts or replaces the entry at `path` (whose parent exists) and updates the indexes. */
export function putEntry(state: MasterState, path: string, entry: NamespaceEntry): void {
  const previous = state.entries.get(path);
  if (previous?.type === 'file') countFile(state, path, -1);
  if (previous?.type === 'dir' && entry.type !== 'dir') state.children.delete(path);
  state.entries.set(path, entry);
  if (entry.type === 'file') countFile(state, path, 1);
  if (entry.type === 'dir' && !state.children.has(path)) state.children.set(path, new Set());
  if (path !== ROOT_PATH && previous === undefined) state.children.get(parentPath(path))?.add(baseName(path));
}

/** Removes the entry at `path` (a file or an empty directory) and updates the indexes. */
export function removeEntry(state: MasterState, path: string): void {
  const previous = state.entries.get(path);
  if (previous === undefined) return;
  state.entries.delete(path);
  // A create id names the file its create made: once that file leaves the path (deleted, moved,
  // replaced), a retry of that create must not be answered with whatever lands there next.
  state.recentCreates.delete(path);
  // A delegation is of a directory at a path: moved or gone, that directory is not the one whose
  // entries the holder knows (a rename does not carry it along).
  state.delegations.delete(path);
  if (previous.type === 'file') countFile(state, path, -1);
  else state.children.delete(path);
  state.children.get(parentPath(path))?.delete(baseName(path));
}

function countFile(state: MasterState, path: string, delta: 1 | -1): void {
  if (isTrashPath(path)) state.trashFileCount += delta;
  else state.fileCount += delta;
}

/**
 * Moves the entry at `from` and everything below it to `to` (free, its parent an existing
 * directory), keeping the indexes in step. O(subtree).
 */
export function moveSubtree(state: MasterState, from: string, to: string): void {
  const moved = subtreeOf(state, from).map((path) => ({ path, entry: state.entries.get(path) }));
  for (let i = moved.length - 1; i >= 0; i--) removeEntry(state, (moved[i] as { path: string }).path);
  for (const { path, entry } of moved) {
    assert(entry !== undefined, 'subtree entries exist');
    putEntry(state, to + path.slice(from.length), entry);
  }
}

/** Removes the entry at `path` and everything below it; returns the chunks no file references now. */
export function removeSubtree(state: MasterState, path: string): string[] {
  const paths = subtreeOf(state, path);
  const droppedHandles: string[] = [];
  for (let i = paths.length - 1; i >= 0; i--) {
    const current = paths[i] as string;
    const entry = state.entries.get(current);
    if (entry?.type === 'file') droppedHandles.push(...releaseChunks(state, entry.chunks));
    removeEntry(state, current);
  }
  return droppedHandles;
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

/** Appends a handle to a file's chunk list without leaving short lists with spare capacity. */
export function appendChunk(file: FileEntry, handle: string): void {
  if (file.chunks.length < EXACT_CHUNK_LIST_MAX) file.chunks = file.chunks.concat(handle);
  else file.chunks.push(handle);
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
