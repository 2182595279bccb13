// Directory delegations in the durable state: delegate and undelegate records, checked and applied
// as the live master logs them; a directory leaving its path (deleted, trashed, renamed, replaced
// by a rename) drops its delegation and those below it; and a checkpoint keeps them, so a
// restarted master still refuses other clients until each expires.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../../master/oplog/checkpoint.js';
import { StateLog } from '../../../master/oplog/state-log.js';
import { apply } from '../../../master/state/apply.js';
import { check } from '../../../master/state/check.js';
import { createState } from '../../../master/state/namespace-table.js';
import { fromSnapshot, toSnapshot } from '../../../master/state/snapshot.js';
import type { LogRecord, MasterState } from '../../../master/state/types.js';
import { silentLogger } from '../../../shared/log.js';
import { codeOf } from '../../harness/error-code.js';
import { createFiles } from './create-files.js';
import { runScript } from './script.js';

const CHUNK = 1024 * 1024;

/** Checked, then applied when it changes something: what StateLog.commit does. */
function commit(state: MasterState, record: LogRecord): 'ok' | 'noop' {
  if (!check(state, record)) return 'noop';
  apply(state, record);
  return 'ok';
}

function delegate(holder: string, expiresAtMs: number, ...paths: string[]): LogRecord {
  return { op: 'delegate', holder, paths, expiresAtMs };
}

function delegated(state: MasterState): string[] {
  return [...state.delegations].map(([path, d]) => `${path} ${d.holder} ${d.expiresAtMs}`).sort();
}

function withTree(): MasterState {
  const state = createState(CHUNK);
  const { outcomes } = runScript(
    state,
    `mkdir -p /a/b/c
     mkdir -p /x/y
     mkdir /e
     create /a/f`,
  );
  expect(outcomes.every((outcome) => outcome === 'ok')).toBe(true);
  return state;
}

describe('delegate and undelegate records', () => {
  it('a grant or renewal sets holder and expiry of every path it names; undelegate ends one', () => {
    const state = withTree();
    expect(commit(state, delegate('holder-one', 100, '/a'))).toBe('ok');
    expect(commit(state, delegate('holder-one', 200, '/a', '/x/y'))).toBe('ok');
    expect(delegated(state)).toEqual(['/a holder-one 200', '/x/y holder-one 200']);
    // An expired one is overwritten by the next grant, whoever asks.
    expect(commit(state, delegate('holder-two', 300, '/a'))).toBe('ok');
    expect(delegated(state)).toEqual(['/a holder-two 300', '/x/y holder-one 200']);
    expect(commit(state, { op: 'undelegate', path: '/a' })).toBe('ok');
    // Returning what is not delegated changes nothing: not logged.
    expect(commit(state, { op: 'undelegate', path: '/a' })).toBe('noop');
    expect(delegated(state)).toEqual(['/x/y holder-one 200']);
  });

  it('check refuses a delegation of a file, a missing path, the root, the trash, or of nothing', () => {
    const state = withTree();
    expect(codeOf(() => check(state, delegate('h', 1, '/a/f')))).toBe('NOT_A_DIRECTORY');
    expect(codeOf(() => check(state, delegate('h', 1, '/missing')))).toBe('NOT_FOUND');
    expect(codeOf(() => check(state, delegate('h', 1, '/')))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => check(state, delegate('h', 1, '/.gfs-trash')))).toBe('NOT_FOUND');
    expect(codeOf(() => check(state, delegate('h', Number.NaN, '/a')))).toBe('INVALID_ARGUMENT');
    expect(check(state, delegate('h', 1))).toBe(false);
    expect(state.delegations.size).toBe(0);
  });
});

describe('a directory leaving its path drops its delegation and those below it', () => {
  function delegatedTree(): MasterState {
    const state = withTree();
    commit(state, delegate('h', 1000, '/a', '/a/b', '/a/b/c', '/x', '/x/y', '/e'));
    return state;
  }

  it('delete, recursive or not', () => {
    const state = delegatedTree();
    runScript(state, 'rm -r /a\nrm /e');
    expect(delegated(state)).toEqual(['/x h 1000', '/x/y h 1000']);
  });

  it('delete to the trash, and the restore does not bring it back', () => {
    const state = delegatedTree();
    const { outcomes } = runScript(state, 'rm -r -t /a/b\nrestore /a/b');
    expect(outcomes).toEqual(['ok', 'ok']);
    expect(state.entries.get('/a/b/c')?.type).toBe('dir');
    expect(delegated(state)).toEqual(['/a h 1000', '/e h 1000', '/x h 1000', '/x/y h 1000']);
  });

  it('rename: neither kept at the old path nor moved to the new one', () => {
    const state = delegatedTree();
    const { outcomes } = runScript(state, 'mv /a/b /moved');
    expect(outcomes).toEqual(['ok']);
    expect(delegated(state)).toEqual(['/a h 1000', '/e h 1000', '/x h 1000', '/x/y h 1000']);
  });

  it('an empty directory replaced by a rename over it', () => {
    const state = delegatedTree();
    const { outcomes } = runScript(state, 'mkdir /z\nmv /z /e');
    expect(outcomes).toEqual(['ok', 'ok']);
    expect(delegated(state)).toEqual(['/a h 1000', '/a/b h 1000', '/a/b/c h 1000', '/x h 1000', '/x/y h 1000']);
  });
});

describe('delegations in checkpoints', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gfs-delegation-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a checkpoint written and read back holds every delegation with its absolute expiry', async () => {
    const state = withTree();
    commit(state, delegate('holder-one', 1_700_000_000_000, '/a', '/x/y'));
    commit(state, delegate('holder-two', 5, '/e'));
    await writeCheckpoint(dir, 1, toSnapshot(state));
    const snapshot = await readCheckpoint(dir, 1);
    if (snapshot === undefined) throw new Error('the checkpoint does not read back');
    const loaded = fromSnapshot(snapshot, { copy: false });
    expect(delegated(loaded)).toEqual(delegated(state));
    // The loaded state goes on like the live one.
    for (const next of [state, loaded]) runScript(next, 'rm -r /x');
    expect(delegated(loaded)).toEqual(['/a holder-one 1700000000000', '/e holder-two 5']);
  });

  it('a master restarted from a checkpoint built after the grant, and the log after it, still has it', async () => {
    const open = () =>
      StateLog.open({ dataDir: dir, chunkSizeBytes: CHUNK, checkpointEveryRecords: 1_000, logger: silentLogger() });
    const log = await open();
    await log.commit({ op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 1 });
    await log.commit({ op: 'mkdir', path: '/e', parents: false, mode: 0o755, mtimeMs: 1 });
    await log.commit({ op: 'mkdir', path: '/g', parents: false, mode: 0o755, mtimeMs: 1 });
    await log.commit(delegate('holder-one', 1_000, '/d', '/e', '/g'));
    await createFiles(log, 0, 10);
    await log.checkpoint();
    // After the checkpoint: a renewal of one, a return of another; the third only the checkpoint has.
    await log.commit(delegate('holder-one', 2_000, '/d'));
    await log.commit({ op: 'undelegate', path: '/e' });
    await log.close();

    const reopened = await open();
    try {
      expect(reopened.lastCheckpointSeq).toBe(14);
      expect(delegated(reopened.state)).toEqual(['/d holder-one 2000', '/g holder-one 1000']);
    } finally {
      await reopened.close();
    }
  });

  it('a checkpoint from before delegations loads with none', () => {
    const state = withTree();
    commit(state, delegate('h', 1, '/a'));
    const { delegations: _delegations, ...older } = toSnapshot(state);
    const loaded = fromSnapshot(JSON.parse(JSON.stringify(older)));
    expect(loaded.delegations.size).toBe(0);
    expect(loaded.entries.get('/a/b')?.type).toBe('dir');
  });
});
