// The pure state machine: applies one operation-log record to the master state. No I/O and no
// clock (time comes inside records), so the live master, replay at start-up and tests share it.
// Records are validated by check() before they are logged; a logged record always applies.

import { assert } from '../../shared/assert.js';
import { ancestorsOf, isSameOrBelow, ROOT_PATH } from '../../shared/paths.js';
import { putEntry, releaseChunks, removeEntry, subtreeOf } from './namespace-table.js';
import type {
  AddChunkRecord,
  ApplyEffects,
  CreateRecord,
  DeleteRecord,
  ExtendRecord,
  LogRecord,
  MasterState,
  MkdirRecord,
  RenameRecord,
  SetLengthRecord,
} from './types.js';

export function apply(state: MasterState, record: LogRecord): ApplyEffects {
  switch (record.op) {
    case 'mkdir':
      return applyMkdir(state, record);
    case 'create':
      return applyCreate(state, record);
    case 'rename':
      return applyRename(state, record);
    case 'delete':
      return applyDelete(state, record);
    case 'addChunk':
      return applyAddChunk(state, record);
    case 'setVersion': {
      const meta = state.chunks.get(record.handle);
      assert(meta !== undefined, `setVersion of a known chunk ${record.handle}`);
      assert(record.version > meta.version, `versions only grow (${record.handle})`);
      meta.version = record.version;
      return NO_EFFECTS();
    }
    case 'extend':
      return applyExtend(state, record);
    case 'setLength':
      return applySetLength(state, record);
    case 'chmod': {
      const entry = state.entries.get(record.path);
      assert(entry !== undefined, 'chmod of an existing entry');
      entry.mode = record.mode;
      return NO_EFFECTS();
    }
    case 'setMtime': {
      const entry = state.entries.get(record.path);
      assert(entry !== undefined, 'setMtime of an existing entry');
      entry.mtimeMs = record.mtimeMs;
      return NO_EFFECTS();
    }
    case 'reserveHandles': {
      const next = BigInt(record.nextHandle);
      assert(next >= state.nextHandle, 'the handle counter only grows');
      state.nextHandle = next;
      return NO_EFFECTS();
    }
  }
}

function NO_EFFECTS(): ApplyEffects {
  return { droppedHandles: [] };
}

function touchParent(state: MasterState, path: string, mtimeMs: number): void {
  const slash = path.lastIndexOf('/');
  const parent = slash <= 0 ? ROOT_PATH : path.slice(0, slash);
  const entry = state.entries.get(parent);
  if (entry !== undefined) entry.mtimeMs = mtimeMs;
}

function applyMkdir(state: MasterState, record: MkdirRecord): ApplyEffects {
  const paths = record.parents ? [...ancestorsOf(record.path), record.path] : [record.path];
  for (const path of paths) {
    if (state.entries.has(path)) continue;
    putEntry(state, path, { type: 'dir', mtimeMs: record.mtimeMs, mode: record.mode });
    touchParent(state, path, record.mtimeMs);
  }
  return NO_EFFECTS();
}

function applyCreate(state: MasterState, record: CreateRecord): ApplyEffects {
  const previous = state.entries.get(record.path);
  const droppedHandles = previous?.type === 'file' ? releaseChunks(state, previous.chunks) : [];
  putEntry(state, record.path, {
    type: 'file',
    chunks: [],
    length: 0,
    mtimeMs: record.mtimeMs,
    mode: record.mode,
    replication: record.replication,
  });
  touchParent(state, record.path, record.mtimeMs);
  return { droppedHandles };
}

function applyRename(state: MasterState, record: RenameRecord): ApplyEffects {
  const { from, to } = record;
  if (from === to) return NO_EFFECTS();
  assert(!isSameOrBelow(to, from), 'rename never moves a directory into itself');
  const target = state.entries.get(to);
  // The replaced target is a file or an empty directory (check() made sure).
  const droppedHandles = target?.type === 'file' ? releaseChunks(state, target.chunks) : [];
  if (target !== undefined) removeEntry(state, to);
  const moved = subtreeOf(state, from).map((path) => ({ path, entry: state.entries.get(path) }));
  for (let i = moved.length - 1; i >= 0; i--) removeEntry(state, (moved[i] as { path: string }).path);
  for (const { path, entry } of moved) {
    assert(entry !== undefined, 'subtree entries exist');
    putEntry(state, to + path.slice(from.length), entry);
  }
  touchParent(state, from, record.mtimeMs);
  touchParent(state, to, record.mtimeMs);
  return { droppedHandles };
}

function applyDelete(state: MasterState, record: DeleteRecord): ApplyEffects {
  const paths = subtreeOf(state, record.path);
  const droppedHandles: string[] = [];
  for (let i = paths.length - 1; i >= 0; i--) {
    const path = paths[i] as string;
    const entry = state.entries.get(path);
    if (entry?.type === 'file') droppedHandles.push(...releaseChunks(state, entry.chunks));
    removeEntry(state, path);
  }
  touchParent(state, record.path, record.mtimeMs);
  return { droppedHandles };
}

function applyAddChunk(state: MasterState, record: AddChunkRecord): ApplyEffects {
  const file = state.entries.get(record.path);
  assert(file?.type === 'file' && file.chunks.length === record.index, 'addChunk appends to a file');
  assert(!state.chunks.has(record.handle), `chunk handle ${record.handle} is new`);
  assert(BigInt(record.handle) < state.nextHandle, 'chunk handles come from a reserved range');
  file.chunks.push(record.handle);
  state.chunks.set(record.handle, { version: record.version, refcount: 1 });
  return NO_EFFECTS();
}

function applyExtend(state: MasterState, record: ExtendRecord): ApplyEffects {
  const file = state.entries.get(record.path);
  assert(file?.type === 'file', 'extend of a file');
  if (record.length > file.length) file.length = record.length;
  file.mtimeMs = record.mtimeMs;
  return NO_EFFECTS();
}

function applySetLength(state: MasterState, record: SetLengthRecord): ApplyEffects {
  const file = state.entries.get(record.path);
  assert(file?.type === 'file', 'setLength of a file');
  let droppedHandles: string[] = [];
  // Only a shrink releases chunks: a grow must not take away chunks that writes in flight past
  // the old end are filling (their extend comes after).
  if (record.length < file.length) {
    const kept = Math.ceil(record.length / state.chunkSizeBytes);
    if (file.chunks.length > kept) droppedHandles = releaseChunks(state, file.chunks.splice(kept));
  }
  file.length = record.length;
  file.mtimeMs = record.mtimeMs;
  return { droppedHandles };
}
