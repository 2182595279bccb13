// The state as plain JSON for checkpoints (and for comparing states in tests). Derived indexes
// (children, file count) are not stored: they are rebuilt when a snapshot is loaded. The recent
// creates' ids and the delegations are stored although they too come from the log, because only
// the log after the checkpoint is replayed (recent-creates.ts).

import { assert } from '../../shared/assert.js';
import { ROOT_PATH } from '../../shared/paths.js';
import { putEntry } from './namespace-table.js';
import { recentCreatesFrom } from './recent-creates.js';
import type { ChunkMeta, Delegation, MasterState, NamespaceEntry, TrashInfo } from './types.js';

export interface StateSnapshot {
  chunkSizeBytes: number;
  nextHandle: string;
  /** Parents before children, so loading can insert in order. */
  entries: Array<[string, NamespaceEntry]>;
  chunks: Array<[string, ChunkMeta]>;
  /** The trash table in deletion order (absent in checkpoints from before the trash). */
  trash?: Array<[string, TrashInfo]>;
  nextTrashId?: number;
  /**
   * MasterState.recentCreates, oldest first, so that eviction goes on in the same order after a
   * restart (absent in checkpoints from before it was kept: an empty table).
   */
  recentCreates?: Array<[string, string]>;
  /**
   * MasterState.delegations, expired ones too (no clock here): absent in checkpoints from before
   * delegations, which had none.
   */
  delegations?: Array<[string, Delegation]>;
}

export function toSnapshot(state: MasterState): StateSnapshot {
  const entries = [...state.entries];
  // Sorting by depth (then name) keeps parents first without walking the tree.
  entries.sort(([a], [b]) => depthOf(a) - depthOf(b) || (a < b ? -1 : a > b ? 1 : 0));
  return {
    chunkSizeBytes: state.chunkSizeBytes,
    nextHandle: state.nextHandle.toString(),
    entries,
    chunks: [...state.chunks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    // Deletion order is the order the sweep relies on: kept as is.
    trash: [...state.trash].map(([name, info]) => [name, { ...info }]),
    nextTrashId: state.nextTrashId,
    recentCreates: [...state.recentCreates],
    delegations: [...state.delegations].map(([path, delegation]) => [path, { ...delegation }]),
  };
}

/**
 * The state a snapshot describes. With `copy: false` the state takes the snapshot's entry and chunk
 * objects as they are: for a freshly parsed checkpoint that nothing else holds, it saves copying a
 * million objects at start-up.
 */
export function fromSnapshot(snapshot: StateSnapshot, options: { copy?: boolean } = {}): MasterState {
  const copy = options.copy ?? true;
  const state: MasterState = {
    chunkSizeBytes: snapshot.chunkSizeBytes,
    entries: new Map(),
    children: new Map(),
    chunks: new Map(),
    nextHandle: BigInt(snapshot.nextHandle),
    trash: new Map((snapshot.trash ?? []).map(([name, info]) => [name, { ...info }])),
    nextTrashId: snapshot.nextTrashId ?? 1,
    fileCount: 0,
    trashFileCount: 0,
    recentCreates: recentCreatesFrom(snapshot.recentCreates),
    delegations: new Map((snapshot.delegations ?? []).map(([path, delegation]) => [path, { ...delegation }])),
  };
  for (const [path, entry] of snapshot.entries) {
    if (!copy) putEntry(state, path, entry);
    else putEntry(state, path, entry.type === 'file' ? { ...entry, chunks: [...entry.chunks] } : { ...entry });
  }
  assert(state.entries.get(ROOT_PATH)?.type === 'dir', 'a snapshot holds the root directory');
  for (const [handle, meta] of snapshot.chunks) state.chunks.set(handle, copy ? { ...meta } : meta);
  return state;
}

function depthOf(path: string): number {
  if (path === ROOT_PATH) return 0;
  let depth = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) depth++;
  return depth;
}
