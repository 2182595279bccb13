// File snapshots in the pure state machine (DESIGN §3): a `snapshot` record copies a file or tree
// sharing its chunks (refcounts), `replaceChunk` (copy-on-write) gives one file its own copy, and
// deleting, trashing, purging, overwriting or truncating either side drops a chunk only when no
// file references it any more. Driven by small scripts; a property test checks refcounts against
// the files that hold each chunk, through replay and checkpoints.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply } from '../../../master/state/apply.js';
import { createState } from '../../../master/state/namespace-table.js';
import { fromSnapshot, toSnapshot } from '../../../master/state/snapshot.js';
import { TRASH_ROOT } from '../../../master/state/trash.js';
import type { MasterState } from '../../../master/state/types.js';
import { listing, runScript } from './script.js';

const CHUNK = 1024 * 1024;

function fresh(): MasterState {
  return createState(CHUNK);
}

function refcounts(state: MasterState): Record<string, number> {
  return Object.fromEntries([...state.chunks].map(([handle, meta]) => [handle, meta.refcount]));
}

/** handle → how many file entries (the trash's included) list it. */
function references(state: MasterState): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of state.entries.values()) {
    if (entry.type !== 'file') continue;
    for (const handle of entry.chunks) counts[handle] = (counts[handle] ?? 0) + 1;
  }
  return counts;
}

/** A tree /src with two files (/src/a: chunks 1 2, /src/sub/b: chunk 3) and a lone file /f (chunk 4). */
const TREE = `reserve 100
  mkdir -p /src/sub
  create /src/a
  chunk /src/a 0 1 1
  chunk /src/a 1 2 1
  extend /src/a 1500000
  create /src/sub/b 2
  chunk /src/sub/b 0 3 1
  extend /src/sub/b 10
  chmod /src/sub 700
  create /f
  chunk /f 0 4 1`;

describe('the snapshot record', () => {
  it('copies a directory tree (modes, mtimes, lengths, replication) sharing every chunk', () => {
    const state = fresh();
    runScript(state, TREE);
    const before = listing(state);
    const { outcomes } = runScript(state, 'mkdir /snaps\nsnapshot /src /snaps/s1');
    expect(outcomes).toEqual(['ok', 'ok']);
    expect(listing(state)).toEqual(
      [
        ...before,
        '/snaps dir',
        '/snaps/s1 dir',
        '/snaps/s1/a file 1500000 [1,2]',
        '/snaps/s1/sub dir',
        '/snaps/s1/sub/b file 10 [3]',
      ].sort(),
    );
    expect(state.entries.get('/snaps/s1/sub')).toEqual(state.entries.get('/src/sub'));
    expect(state.entries.get('/snaps/s1/sub/b')).toEqual(state.entries.get('/src/sub/b'));
    // The copies are entries of their own, not the source's objects.
    expect(state.entries.get('/snaps/s1/a')).not.toBe(state.entries.get('/src/a'));
    expect(refcounts(state)).toEqual({ 1: 2, 2: 2, 3: 2, 4: 1 });
    expect(state.fileCount).toBe(5);
    // The destination's parent was touched (line 2 of the second script).
    expect(state.entries.get('/snaps')?.mtimeMs).toBe(1001);
  });

  it('snapshots a single file, and a snapshot of a snapshot shares once more', () => {
    const state = fresh();
    const { outcomes } = runScript(state, `${TREE}\nsnapshot /f /g\nsnapshot /g /h`);
    expect(outcomes.slice(-2)).toEqual(['ok', 'ok']);
    expect(listing(state).filter((line) => /^\/[fgh] /.test(line))).toEqual([
      '/f file 0 [4]',
      '/g file 0 [4]',
      '/h file 0 [4]',
    ]);
    expect(refcounts(state)[4]).toBe(3);
  });

  it('refuses a missing source, an existing destination, a destination inside the source, a bad parent, the trash', () => {
    const state = fresh();
    runScript(state, `${TREE}\ncreate /trashed\nrm -t /trashed`);
    const { outcomes } = runScript(
      state,
      `snapshot /nope /x
       snapshot /src /f
       snapshot /src /src
       snapshot /f /f
       snapshot /src /src/sub/copy
       snapshot / /x
       snapshot /src /missing/x
       snapshot /src /f/x
       snapshot ${TRASH_ROOT} /x
       snapshot ${TRASH_ROOT}/1013-1 /x
       snapshot /src ${TRASH_ROOT}/x
       snapshot /f /fine`,
    );
    expect(outcomes).toEqual([
      'NOT_FOUND',
      'ALREADY_EXISTS',
      'ALREADY_EXISTS',
      'ALREADY_EXISTS',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      'NOT_A_DIRECTORY',
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID_PATH',
      'ok',
    ]);
  });
});

describe('copy-on-write (replaceChunk)', () => {
  it('points one file at the copy; the other keeps the shared chunk', () => {
    const state = fresh();
    const { outcomes } = runScript(state, `${TREE}\nsnapshot /src /s\ncow /src/a 1 2 50 7`);
    expect(outcomes.slice(-2)).toEqual(['ok', 'ok']);
    expect(listing(state).filter((line) => line.includes(' file '))).toEqual([
      '/f file 0 [4]',
      '/s/a file 1500000 [1,2]',
      '/s/sub/b file 10 [3]',
      '/src/a file 1500000 [1,50]',
      '/src/sub/b file 10 [3]',
    ]);
    expect(state.chunks.get('50')).toEqual({ version: 7, refcount: 1 });
    expect(refcounts(state)).toEqual({ 1: 2, 2: 1, 3: 2, 4: 1, 50: 1 });
  });

  it('refuses a chunk the file no longer has, a handle in use or not reserved, a trashed file', () => {
    const state = fresh();
    runScript(state, `${TREE}\nsnapshot /src /s\ncreate /t\nchunk /t 0 9 1\nrm -t /t`);
    const { outcomes } = runScript(
      state,
      `cow /src/a 1 1 50 1
       cow /src/a 5 2 50 1
       cow /src/a 1 2 3 1
       cow /src/a 1 2 100 1
       cow /src/a 1 2 50 0
       cow /nope 0 1 50 1
       cow /src 0 1 50 1
       cow ${TRASH_ROOT}/1015-1 0 9 50 1
       cow /src/a 1 2 50 1`,
    );
    expect(outcomes).toEqual([
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      'IS_A_DIRECTORY',
      'NOT_FOUND',
      'ok',
    ]);
  });

  it('drops the old chunk when the other side went while the replicas copied', () => {
    const state = fresh();
    const { outcomes } = runScript(state, `${TREE}\nsnapshot /f /g\nrm /g\ncow /f 0 4 60 1`);
    expect(outcomes.slice(-3)).toEqual(['ok', 'ok', 'ok dropped=4']);
    expect(refcounts(state)).toEqual({ 1: 1, 2: 1, 3: 1, 60: 1 });
  });
});

describe('deleting either side', () => {
  it('rm of the source keeps every shared chunk; rm of the snapshot then drops them', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `${TREE}
       snapshot /src /s
       cow /src/a 0 1 70 1
       rm -r /src
       rm -r /s`,
    );
    // /src held its own copy 70 (dropped with it) and shared 2 and 3; /s then held 1, 2, 3.
    expect(outcomes.slice(-3)).toEqual(['ok', 'ok dropped=70', 'ok dropped=1,2,3']);
    expect(refcounts(state)).toEqual({ 4: 1 });
  });

  it('through the trash: a purge drops only what no other file holds', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `${TREE}
       snapshot /src /s
       rm -r -t /s
       sweep 100000 0
       rm -r -t /src
       sweep 100000 0`,
    );
    expect(outcomes.slice(-4)).toEqual(['ok', 'ok', 'ok', 'ok dropped=1,2,3']);
    expect(refcounts(state)).toEqual({ 4: 1 });
  });

  it('a truncate, an overwrite or a replacing rename of one side releases its reference only', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `${TREE}
       snapshot /src /s
       length /s/a 10
       create -f /src/a
       create /x
       mv /x /s/sub/b`,
    );
    // /s/a let go of chunk 2, which /src/a still held; the overwrite of /src/a then dropped it.
    expect(outcomes.slice(-5)).toEqual(['ok', 'ok', 'ok dropped=2', 'ok', 'ok']);
    expect(refcounts(state)).toEqual({ 1: 1, 3: 1, 4: 1 });
    expect(references(state)).toEqual(refcounts(state));
    expect(runScript(state, 'length /s/a 0').outcomes).toEqual(['ok dropped=1']);
  });
});

describe('replay and checkpoints', () => {
  it('a checkpoint keeps the refcounts of shared chunks, and replay builds the same state', () => {
    const live = fresh();
    const { records } = runScript(live, `${TREE}\nsnapshot /src /s\ncow /src/a 1 2 50 3\nsnapshot /f /g`);
    const reloaded = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(live))));
    expect(toSnapshot(reloaded)).toEqual(toSnapshot(live));
    expect(refcounts(reloaded)).toEqual({ 1: 2, 2: 1, 3: 2, 4: 2, 50: 1 });
    const replayed = fresh();
    for (const record of records) apply(replayed, record);
    expect(toSnapshot(replayed)).toEqual(toSnapshot(live));
  });

  const paths = ['/a', '/b', '/a/b', '/a/c'];
  const lineArb = fc
    .record({
      op: fc.constantFrom(
        'mkdir -p',
        'create',
        'create',
        'create -f -t',
        'create -f',
        'rm -r -t',
        'rm -r',
        'mv -t',
        'chunk',
        'chunk',
        'snapshot',
        'snapshot',
        'cow',
        'cow',
        'length',
        'restore',
        'sweep',
      ),
      p1: fc.constantFrom(...paths),
      p2: fc.constantFrom(...paths),
      n: fc.integer({ min: 0, max: 2 }),
      h: fc.integer({ min: 1, max: 60 }),
    })
    .map(({ op, p1, p2, n, h }) => {
      if (op === 'mv -t' || op === 'snapshot') return `${op} ${p1} ${p2}`;
      if (op === 'chunk') return `chunk ${p1} ${n} ${h} 1`;
      if (op === 'cow') return `cow ${p1} ${n} ${h}`;
      if (op === 'length') return `length ${p1} ${n * 700_000}`;
      if (op === 'restore') return `restore ${p1} ${p2}`;
      if (op === 'sweep') return 'sweep 1040 5';
      return `${op} ${p1}`;
    });

  it('refcounts always equal the files holding each chunk, live, replayed and reloaded', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 10, maxLength: 60 }), (lines) => {
        const live = fresh();
        const { records } = runScript(live, ['reserve 100', ...lines].join('\n'));
        expect(refcounts(live)).toEqual(references(live));
        const replayed = fresh();
        for (const record of records) apply(replayed, record);
        expect(toSnapshot(replayed)).toEqual(toSnapshot(live));
        const reloaded = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(live))));
        expect(toSnapshot(reloaded)).toEqual(toSnapshot(live));
        expect([reloaded.fileCount, reloaded.trashFileCount]).toEqual([live.fileCount, live.trashFileCount]);
      }),
      { numRuns: 300 },
    );
  });
});
