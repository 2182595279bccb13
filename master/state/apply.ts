// The pure state machine: applies one operation-log record to the master state. No I/O and no
// clock (time comes inside records), so the live master, replay at start-up and tests share it.
// Records are validated by check() before they are logged; a logged record always applies.

import { assert } from '../../shared/assert.js';
import { ancestorsOf, isSameOrBelow, ROOT_PATH } from '../../shared/paths.js';
import { applyReplaceChunk, applySnapshot } from './file-snapshot.js';
import { appendChunk, moveSubtree, putEntry, releaseChunks, removeEntry, removeSubtree } from './namespace-table.js';
import { rememberCreate } from './recent-creates.js';
import { TRASH_ROOT, trashEntryPath, trashedPathOf, trashName } from './trash.js';
import {
  type AddChunkRecord,
  type ApplyEffects,
  type CreateRecord,
  type DeleteRecord,
  DIR_MODE_DEFAULT,
  type ExtendRecord,
  type LogRecord,
  type MasterState,
  type MkdirRecord,
  type Ownership,
  type PurgeRecord,
  type RenameRecord,
  type RestoreRecord,
  type SetLengthRecord,
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
    case 'restore':
      return applyRestore(state, record);
    case 'purge':
      return applyPurge(state, record);
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
    case 'chown': {
      const entry = state.entries.get(record.path);
      assert(entry !== undefined, 'chown of an existing entry');
      if (record.owner !== undefined) entry.owner = record.owner;
      if (record.group !== undefined) entry.group = record.group;
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
    case 'snapshot': {
      const effects = applySnapshot(state, record);
      touchParent(state, record.to, record.mtimeMs);
      return effects;
    }
    case 'replaceChunk':
      return applyReplaceChunk(state, record);
    case 'delegate':
      for (const path of record.paths) {
        assert(state.entries.get(path)?.type === 'dir', `delegation of a directory ${path}`);
        state.delegations.set(path, { holder: record.holder, expiresAtMs: record.expiresAtMs });
      }
      return NO_EFFECTS();
    case 'undelegate':
      state.delegations.delete(record.path);
      return NO_EFFECTS();
  }
}

/** Only the fields a record names: an entry without them belongs to root (types.ts). */
function ownershipOf(record: Ownership): Ownership {
  return {
    ...(record.owner === undefined ? {} : { owner: record.owner }),
    ...(record.group === undefined ? {} : { group: record.group }),
  };
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
    putEntry(state, path, { type: 'dir', mtimeMs: record.mtimeMs, mode: record.mode, ...ownershipOf(record) });
    touchParent(state, path, record.mtimeMs);
  }
  return NO_EFFECTS();
}

/**
 * Moves the entry at `path` (and its subtree) to a new trash name, remembering where it was and
 * when it was deleted. The trash root is created on first use.
 */
function moveToTrash(state: MasterState, path: string, deletedAtMs: number): void {
  if (!state.entries.has(TRASH_ROOT)) putEntry(state, TRASH_ROOT, { type: 'dir', mtimeMs: deletedAtMs, mode: 0o700 });
  const name = trashName(state.nextTrashId++, deletedAtMs);
  assert(!state.entries.has(trashEntryPath(name)), `trash name ${name} is new`);
  moveSubtree(state, path, trashEntryPath(name));
  state.trash.set(name, { path, deletedAtMs });
}

/** An existing file at `path` that a create or rename replaces: trashed, or its chunks released. */
function replaceFile(state: MasterState, path: string, trash: boolean | undefined, mtimeMs: number): string[] {
  const previous = state.entries.get(path);
  if (previous?.type !== 'file') return [];
  if (trash === true) {
    moveToTrash(state, path, mtimeMs);
    return [];
  }
  return releaseChunks(state, previous.chunks);
}

function applyCreate(state: MasterState, record: CreateRecord): ApplyEffects {
  const droppedHandles = replaceFile(state, record.path, record.trash, record.mtimeMs);
  putEntry(state, record.path, {
    type: 'file',
    chunks: [],
    length: 0,
    mtimeMs: record.mtimeMs,
    mode: record.mode,
    replication: record.replication,
    ...ownershipOf(record),
  });
  touchParent(state, record.path, record.mtimeMs);
  // A create without an id that replaced a file made a new one: the old file's id no longer fits.
  if (record.createId !== undefined) rememberCreate(state.recentCreates, record.path, record.createId);
  else state.recentCreates.delete(record.path);
  return { droppedHandles };
}

function applyRename(state: MasterState, record: RenameRecord): ApplyEffects {
  const { from, to } = record;
  if (from === to) return NO_EFFECTS();
  assert(!isSameOrBelow(to, from), 'rename never moves a directory into itself');
  // The replaced target is a file or an empty directory (check() made sure).
  const droppedHandles = replaceFile(state, to, record.trash, record.mtimeMs);
  if (state.entries.has(to)) removeEntry(state, to);
  moveSubtree(state, from, to);
  touchParent(state, from, record.mtimeMs);
  touchParent(state, to, record.mtimeMs);
  return { droppedHandles };
}

function applyDelete(state: MasterState, record: DeleteRecord): ApplyEffects {
  let droppedHandles: string[] = [];
  if (record.trash === true) moveToTrash(state, record.path, record.mtimeMs);
  else droppedHandles = removeSubtree(state, record.path);
  touchParent(state, record.path, record.mtimeMs);
  return { droppedHandles };
}

function applyRestore(state: MasterState, record: RestoreRecord): ApplyEffects {
  const info = state.trash.get(record.name);
  assert(info !== undefined, `restore of a trash entry ${record.name}`);
  const source = trashedPathOf(record.name, info, record.path);
  assert(state.entries.has(source), 'restore of a trashed path');
  for (const ancestor of ancestorsOf(record.to)) {
    if (state.entries.has(ancestor)) continue;
    putEntry(state, ancestor, { type: 'dir', mtimeMs: record.mtimeMs, mode: DIR_MODE_DEFAULT, ...ownershipOf(record) });
    touchParent(state, ancestor, record.mtimeMs);
  }
  moveSubtree(state, source, record.to);
  // The whole tree is back: the trash entry is gone (a path restored from inside a trashed
  // directory leaves the rest of it in the trash).
  if (record.path === info.path) state.trash.delete(record.name);
  touchParent(state, record.to, record.mtimeMs);
  return NO_EFFECTS();
}

function applyPurge(state: MasterState, record: PurgeRecord): ApplyEffects {
  const droppedHandles: string[] = [];
  for (const name of record.names) {
    assert(state.trash.has(name), `purge of a trash entry ${name}`);
    droppedHandles.push(...removeSubtree(state, trashEntryPath(name)));
    state.trash.delete(name);
  }
  return { droppedHandles };
}

function applyAddChunk(state: MasterState, record: AddChunkRecord): ApplyEffects {
  const file = state.entries.get(record.path);
  assert(file?.type === 'file' && file.chunks.length === record.index, 'addChunk appends to a file');
  assert(!state.chunks.has(record.handle), `chunk handle ${record.handle} is new`);
  assert(BigInt(record.handle) < state.nextHandle, 'chunk handles come from a reserved range');
  appendChunk(file, record.handle);
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
