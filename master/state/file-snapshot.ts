// File snapshots in the pure state machine (DESIGN §3; not to be confused with checkpoint
// snapshots of the whole state in snapshot.ts). A `snapshot` record copies a file or a directory
// tree's metadata, the copies sharing the source's chunks (refcount + 1 each); a `replaceChunk`
// record is the copy-on-write step that gives one file its own copy of a shared chunk. Chunks
// are dropped only when their refcount reaches 0, so either side can be deleted, trashed or
// purged while the other keeps reading. No I/O, no clock; check.ts validates both records first.

import { assert } from '../../shared/assert.js';
import { isSameOrBelow } from '../../shared/paths.js';
import { putEntry, releaseChunks, subtreeOf } from './namespace-table.js';
import type { ApplyEffects, MasterState, ReplaceChunkRecord, SnapshotRecord } from './types.js';

export function applySnapshot(state: MasterState, record: SnapshotRecord): ApplyEffects {
  const { from, to } = record;
  assert(!isSameOrBelow(to, from), 'a snapshot never lands inside its source');
  // Listed before anything is inserted (parents first), so the copies are not walked themselves.
  for (const path of subtreeOf(state, from)) {
    const entry = state.entries.get(path);
    assert(entry !== undefined, 'subtree entries exist');
    const copyPath = to + path.slice(from.length);
    if (entry.type === 'dir') {
      putEntry(state, copyPath, { ...entry });
      continue;
    }
    for (const handle of entry.chunks) {
      const meta = state.chunks.get(handle);
      assert(meta !== undefined, `a file's chunk ${handle} is in the chunk table`);
      meta.refcount++;
    }
    putEntry(state, copyPath, { ...entry, chunks: [...entry.chunks] });
  }
  return { droppedHandles: [] };
}

export function applyReplaceChunk(state: MasterState, record: ReplaceChunkRecord): ApplyEffects {
  const file = state.entries.get(record.path);
  assert(file?.type === 'file' && file.chunks[record.index] === record.from, 'replaceChunk of the chunk it names');
  assert(!state.chunks.has(record.handle), `chunk handle ${record.handle} is new`);
  assert(BigInt(record.handle) < state.nextHandle, 'chunk handles come from a reserved range');
  file.chunks[record.index] = record.handle;
  state.chunks.set(record.handle, { version: record.version, refcount: 1 });
  // The other files keep `from`; it goes only if they went meanwhile (deleted during the copy).
  return { droppedHandles: releaseChunks(state, [record.from]) };
}

/** True when more than one file references the chunk: a write must copy it first. */
export function isShared(state: MasterState, handle: string): boolean {
  return (state.chunks.get(handle)?.refcount ?? 0) > 1;
}
