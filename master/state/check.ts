// Validation of a record against the current state, BEFORE it is logged: a record that passes
// check() always applies cleanly, so apply() never fails on the log. Pure, like apply().
// Returns false when the record would change nothing (e.g. `mkdir -p` of an existing directory),
// so the caller need not log it.

import { GfsError } from '../../shared/errors.js';
import { REPLICATION_MAX } from '../../shared/limits.js';
import { ancestorsOf, isSameOrBelow, parentPath, ROOT_PATH } from '../../shared/paths.js';
import { MODE_BITS_MAX, MTIME_MS_ABS_MAX } from '../../shared/protocol/namespace.js';
import { isTrashPath, TRASH_ROOT, trashedPathOf } from './trash.js';
import type { DelegateRecord, LogRecord, MasterState, ReplaceChunkRecord, RestoreRecord } from './types.js';

export function check(state: MasterState, record: LogRecord): boolean {
  switch (record.op) {
    case 'mkdir':
      requireOutsideTrash(record.path, 'INVALID_PATH');
      return checkMkdir(state, record.path, record.parents);
    case 'create':
      requireOutsideTrash(record.path, 'INVALID_PATH');
      return checkCreate(state, record.path, record.overwrite, record.replication, record.mode);
    case 'rename':
      requireOutsideTrash(record.from, 'NOT_FOUND');
      requireOutsideTrash(record.to, 'INVALID_PATH');
      return checkRename(state, record.from, record.to);
    case 'delete':
      requireOutsideTrash(record.path, 'NOT_FOUND');
      return checkDelete(state, record.path, record.recursive);
    case 'restore':
      return checkRestore(state, record);
    case 'purge': {
      if (new Set(record.names).size !== record.names.length) {
        throw new GfsError('INVALID_ARGUMENT', 'a trash entry purged twice in one record', record.names.join(','));
      }
      for (const name of record.names) {
        if (!state.trash.has(name)) throw new GfsError('NOT_FOUND', 'no such trash entry', name);
      }
      return record.names.length > 0;
    }
    case 'addChunk': {
      requireOutsideTrash(record.path, 'NOT_FOUND');
      const file = requireFile(state, record.path);
      if (file.chunks.length !== record.index) {
        throw new GfsError('INVALID_ARGUMENT', `chunk ${record.index} is not the next chunk of the file`, record.path);
      }
      if (state.chunks.has(record.handle) || BigInt(record.handle) >= state.nextHandle) {
        throw new GfsError('INVALID_ARGUMENT', 'chunk handle not available', record.handle);
      }
      requireVersion(record.version, 0, record.handle);
      return true;
    }
    case 'setVersion': {
      const meta = state.chunks.get(record.handle);
      if (meta === undefined) throw new GfsError('NOT_FOUND', 'no such chunk', record.handle);
      requireVersion(record.version, meta.version, record.handle);
      return true;
    }
    case 'extend': {
      requireOutsideTrash(record.path, 'NOT_FOUND');
      const file = requireFile(state, record.path);
      requireLength(record.length, record.path);
      // Within the length the file already has (a truncate or reservation may have made it longer
      // than its chunks) there is nothing to check: the length does not change.
      if (record.length > file.length && record.length > file.chunks.length * state.chunkSizeBytes) {
        throw new GfsError('INVALID_ARGUMENT', `length ${record.length} lies past the file's chunks`, record.path);
      }
      return true;
    }
    case 'setLength':
      requireOutsideTrash(record.path, 'NOT_FOUND');
      requireFile(state, record.path);
      requireLength(record.length, record.path);
      return true;
    case 'chmod':
      requireOutsideTrash(record.path, 'NOT_FOUND');
      requireEntry(state, record.path);
      requireMode(record.mode, record.path);
      return true;
    case 'chown':
      requireOutsideTrash(record.path, 'NOT_FOUND');
      requireEntry(state, record.path);
      return true;
    case 'setMtime':
      requireOutsideTrash(record.path, 'NOT_FOUND');
      requireEntry(state, record.path);
      if (!Number.isFinite(record.mtimeMs) || Math.abs(record.mtimeMs) > MTIME_MS_ABS_MAX) {
        throw new GfsError('INVALID_ARGUMENT', 'mtime must be a finite time in milliseconds', record.path);
      }
      return true;
    case 'reserveHandles':
      if (BigInt(record.nextHandle) < state.nextHandle) {
        throw new GfsError('INVALID_ARGUMENT', 'the handle counter only grows', record.nextHandle);
      }
      return true;
    case 'snapshot':
      requireOutsideTrash(record.from, 'NOT_FOUND');
      requireOutsideTrash(record.to, 'INVALID_PATH');
      return checkSnapshot(state, record.from, record.to);
    case 'replaceChunk':
      requireOutsideTrash(record.path, 'NOT_FOUND');
      return checkReplaceChunk(state, record);
    case 'delegate':
      return checkDelegate(state, record);
    case 'undelegate':
      return state.delegations.has(record.path);
  }
}

/**
 * Paths at or below the trash root are reserved: to clients they do not exist (NOT_FOUND) and
 * cannot be created (INVALID_PATH). Only trash records (delete with trash, restore, purge) move
 * entries in and out, so the trash table and the trashed trees always agree.
 */
export function requireOutsideTrash(path: string, code: 'NOT_FOUND' | 'INVALID_PATH'): void {
  if (!isTrashPath(path)) return;
  if (code === 'NOT_FOUND') throw new GfsError('NOT_FOUND', 'no such file or directory', path);
  throw new GfsError('INVALID_PATH', `${TRASH_ROOT} is reserved for the trash`, path);
}

function checkRestore(state: MasterState, record: RestoreRecord): boolean {
  const info = state.trash.get(record.name);
  if (info === undefined || !isSameOrBelow(record.path, info.path)) {
    throw new GfsError('NOT_FOUND', 'not in the trash', record.path);
  }
  if (!state.entries.has(trashedPathOf(record.name, info, record.path))) {
    throw new GfsError('NOT_FOUND', 'not in the trash', record.path);
  }
  requireOutsideTrash(record.to, 'INVALID_PATH');
  if (state.entries.has(record.to)) {
    throw new GfsError('ALREADY_EXISTS', 'path exists (restore to another path with --to)', record.to);
  }
  for (const ancestor of ancestorsOf(record.to)) {
    if (state.entries.get(ancestor)?.type === 'file') {
      throw new GfsError('NOT_A_DIRECTORY', `${ancestor} is not a directory`, record.to);
    }
  }
  return true;
}

function requireVersion(version: number, above: number, handle: string): void {
  if (!Number.isSafeInteger(version) || version <= above) {
    throw new GfsError('INVALID_ARGUMENT', `version ${version} must be above ${above}`, handle);
  }
}

function requireLength(length: number, path: string): void {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new GfsError('INVALID_ARGUMENT', 'length must be a non-negative integer', path);
  }
}

function requireMode(mode: number, path: string): void {
  if (!Number.isInteger(mode) || mode < 0 || mode > MODE_BITS_MAX) {
    throw new GfsError('INVALID_ARGUMENT', `mode must be 0..0${MODE_BITS_MAX.toString(8)} (octal)`, path);
  }
}

function requireEntry(state: MasterState, path: string) {
  const entry = state.entries.get(path);
  if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
  return entry;
}

function requireFile(state: MasterState, path: string) {
  const entry = state.entries.get(path);
  if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file', path);
  if (entry.type !== 'file') throw new GfsError('IS_A_DIRECTORY', 'is a directory', path);
  return entry;
}

/** The parent of `path` must be an existing directory. */
function requireParentDir(state: MasterState, path: string): void {
  const parent = state.entries.get(parentPath(path));
  if (parent?.type === 'dir') return;
  if (parent?.type === 'file') throw new GfsError('NOT_A_DIRECTORY', 'parent is not a directory', path);
  for (const ancestor of ancestorsOf(path)) {
    if (state.entries.get(ancestor)?.type === 'file') {
      throw new GfsError('NOT_A_DIRECTORY', `${ancestor} is not a directory`, path);
    }
  }
  throw new GfsError('NOT_FOUND', 'parent directory does not exist', path);
}

function checkMkdir(state: MasterState, path: string, parents: boolean): boolean {
  const existing = state.entries.get(path);
  if (existing !== undefined) {
    if (parents && existing.type === 'dir') return false;
    throw new GfsError('ALREADY_EXISTS', 'path exists', path);
  }
  if (!parents) {
    requireParentDir(state, path);
    return true;
  }
  for (const ancestor of ancestorsOf(path)) {
    if (state.entries.get(ancestor)?.type === 'file') {
      throw new GfsError('NOT_A_DIRECTORY', `${ancestor} is not a directory`, path);
    }
  }
  return true;
}

function checkCreate(state: MasterState, path: string, overwrite: boolean, replication: number, mode: number): boolean {
  if (!Number.isInteger(replication) || replication < 1 || replication > REPLICATION_MAX) {
    throw new GfsError('INVALID_ARGUMENT', `replication must be 1..${REPLICATION_MAX}`, path);
  }
  requireMode(mode, path);
  const existing = state.entries.get(path);
  if (existing?.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory', path);
  if (existing !== undefined && !overwrite) throw new GfsError('ALREADY_EXISTS', 'file exists', path);
  if (existing === undefined) requireParentDir(state, path);
  return true;
}

function checkRename(state: MasterState, from: string, to: string): boolean {
  if (from === ROOT_PATH || to === ROOT_PATH) {
    throw new GfsError('INVALID_ARGUMENT', 'cannot rename the root directory', from === ROOT_PATH ? from : to);
  }
  const source = state.entries.get(from);
  if (source === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', from);
  if (from === to) return false;
  if (source.type === 'dir' && isSameOrBelow(to, from)) {
    throw new GfsError('INVALID_ARGUMENT', 'cannot move a directory into itself', to);
  }
  const target = state.entries.get(to);
  if (target === undefined) {
    requireParentDir(state, to);
    return true;
  }
  if (source.type === 'file' && target.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory', to);
  if (source.type === 'dir' && target.type === 'file') throw new GfsError('NOT_A_DIRECTORY', 'not a directory', to);
  if (target.type === 'dir' && (state.children.get(to)?.size ?? 0) > 0) {
    throw new GfsError('NOT_EMPTY', 'directory not empty', to);
  }
  return true;
}

function checkDelete(state: MasterState, path: string, recursive: boolean): boolean {
  if (path === ROOT_PATH) throw new GfsError('INVALID_ARGUMENT', 'cannot delete the root directory', path);
  const entry = state.entries.get(path);
  if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
  if (entry.type === 'dir' && !recursive && (state.children.get(path)?.size ?? 0) > 0) {
    throw new GfsError('NOT_EMPTY', 'directory not empty', path);
  }
  return true;
}

/**
 * A snapshot copies an existing file or tree to a new path whose parent is a directory (as
 * `mkdir` without -p: nothing is created on the way). A directory cannot be copied into itself.
 */
function checkSnapshot(state: MasterState, from: string, to: string): boolean {
  requireEntry(state, from);
  if (state.entries.has(to)) throw new GfsError('ALREADY_EXISTS', 'path exists', to);
  if (isSameOrBelow(to, from)) throw new GfsError('INVALID_ARGUMENT', 'cannot snapshot a directory into itself', to);
  requireParentDir(state, to);
  return true;
}

function checkReplaceChunk(state: MasterState, record: ReplaceChunkRecord): boolean {
  const file = requireFile(state, record.path);
  if (file.chunks[record.index] !== record.from) {
    throw new GfsError(
      'INVALID_ARGUMENT',
      `chunk ${record.index} of the file is no longer ${record.from}`,
      record.path,
    );
  }
  if (state.chunks.has(record.handle) || BigInt(record.handle) >= state.nextHandle) {
    throw new GfsError('INVALID_ARGUMENT', 'chunk handle not available', record.handle);
  }
  requireVersion(record.version, 0, record.handle);
  return true;
}

/** Delegations are of existing directories outside the trash, other than `/` (too broad). */
function checkDelegate(state: MasterState, record: DelegateRecord): boolean {
  if (!Number.isFinite(record.expiresAtMs)) {
    throw new GfsError('INVALID_ARGUMENT', 'a delegation expires at a finite time', record.holder);
  }
  for (const path of record.paths) {
    requireOutsideTrash(path, 'NOT_FOUND');
    if (path === ROOT_PATH) throw new GfsError('INVALID_ARGUMENT', 'the root directory is not delegated', path);
    const entry = requireEntry(state, path);
    if (entry.type !== 'dir') throw new GfsError('NOT_A_DIRECTORY', 'not a directory', path);
  }
  return record.paths.length > 0;
}
