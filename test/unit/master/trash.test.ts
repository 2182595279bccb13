// The trash in the pure state machine (GFS §4.4): deletes, overwrites and replacing renames move
// what they remove to a hidden name with its deletion time; restore brings it back; a purge (what
// the sweep logs) removes it for good and releases its chunks. Driven by small scripts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply } from '../../../master/state/apply.js';
import { createState } from '../../../master/state/namespace-table.js';
import { fromSnapshot, toSnapshot } from '../../../master/state/snapshot.js';
import { expiredTrash, listTrash, TRASH_ROOT } from '../../../master/state/trash.js';
import type { MasterState } from '../../../master/state/types.js';
import { listing, runScript, trashLines } from './script.js';

const CHUNK = 1024 * 1024;

function fresh(): MasterState {
  return createState(CHUNK);
}

describe('delete into the trash', () => {
  it('moves a file or a whole directory tree to a hidden name, one record each, chunks kept', () => {
    const state = fresh();
    const { outcomes, records } = runScript(
      state,
      `reserve 100
       mkdir -p /a/b
       create /a/b/f
       chunk /a/b/f 0 5 1
       create /a/g
       chunk /a/g 0 6 1
       extend /a/g 100
       rm -t /a/b/f
       rm -t /a
       rm -r -t /a`,
    );
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'NOT_EMPTY', 'ok']);
    expect(records.filter((record) => record.op === 'delete')).toHaveLength(2);
    expect(listing(state)).toEqual([
      '/ dir',
      `${TRASH_ROOT} dir`,
      `${TRASH_ROOT}/1007-1 file 0 [5]`,
      `${TRASH_ROOT}/1009-2 dir`,
      `${TRASH_ROOT}/1009-2/b dir`,
      `${TRASH_ROOT}/1009-2/g file 100 [6]`,
    ]);
    // The names carry the deletion time; the table remembers where each entry was.
    expect(trashLines(state)).toEqual(['1007-1 /a/b/f 1007', '1009-2 /a 1009']);
    expect([...state.chunks]).toEqual([
      ['5', { version: 1, refcount: 1 }],
      ['6', { version: 1, refcount: 1 }],
    ]);
    expect(state.fileCount).toBe(0);
    expect(state.trashFileCount).toBe(2);
    expect(listTrash(state, 10)).toEqual({
      total: 2,
      entries: [
        { name: '1007-1', path: '/a/b/f', type: 'file', sizeBytes: 0, files: 1, deletedAtMs: 1007 },
        { name: '1009-2', path: '/a', type: 'dir', sizeBytes: 100, files: 1, deletedAtMs: 1009 },
      ],
    });
    // At most `max` listed: the newest.
    expect(listTrash(state, 1).entries.map((entry) => entry.name)).toEqual(['1009-2']);
  });

  it('trashes the file an overwrite or a rename replaces; without -t their chunks go at once', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       create /f
       chunk /f 0 1 1
       create -f -t /f
       chunk /f 0 2 1
       create /g
       chunk /g 0 3 1
       mv -t /g /f
       mkdir /e
       mkdir /e2
       mv -t /e /e2
       create -f /f
       create -f -t /new`,
    );
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok dropped=3', 'ok']);
    // An empty directory replaced by a rename holds nothing: it is not trashed. Nor is anything
    // when an overwrite creates a new file.
    expect(trashLines(state)).toEqual(['1003-1 /f 1003', '1007-2 /f 1007']);
    expect(listing(state)).toEqual([
      '/ dir',
      `${TRASH_ROOT} dir`,
      `${TRASH_ROOT}/1003-1 file 0 [1]`,
      `${TRASH_ROOT}/1007-2 file 0 [2]`,
      '/e2 dir',
      '/f file 0 []',
      '/new file 0 []',
    ]);
  });

  it('keeps the trash out of reach: reads of it are NOT_FOUND, creating in it INVALID_PATH', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `mkdir ${TRASH_ROOT}
       create ${TRASH_ROOT}/x
       create /f
       rm -t /f
       rm -r ${TRASH_ROOT}
       rm ${TRASH_ROOT}/1003-1
       mv ${TRASH_ROOT}/1003-1 /x
       create /h
       mv /h ${TRASH_ROOT}/h
       chmod ${TRASH_ROOT} 755
       touch ${TRASH_ROOT}/1003-1 5
       extend ${TRASH_ROOT}/1003-1 0
       length ${TRASH_ROOT}/1003-1 0
       mkdir -p ${TRASH_ROOT}/y/z
       restore /f ${TRASH_ROOT}/z
       restore /f /h
       restore /f /h/g
       restore /nothing`,
    );
    expect(outcomes).toEqual([
      'INVALID_PATH',
      'INVALID_PATH',
      'ok',
      'ok',
      'NOT_FOUND',
      'NOT_FOUND',
      'NOT_FOUND',
      'ok',
      'INVALID_PATH',
      'NOT_FOUND',
      'NOT_FOUND',
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID_PATH',
      'INVALID_PATH',
      'ALREADY_EXISTS',
      'NOT_A_DIRECTORY',
      'NOT_FOUND',
    ]);
    expect(trashLines(state)).toEqual(['1003-1 /f 1003']);
  });
});

describe('restore', () => {
  it('brings back the newest deletion of a path; an existing path is refused unless restored elsewhere', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       mkdir /d
       create /d/f
       chunk /d/f 0 1 1
       rm -t /d/f
       create /d/f
       chunk /d/f 0 2 1
       rm -t /d/f
       restore /d/f
       restore /d/f
       restore /d/f /d/old
       restore /d/f`,
    );
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ALREADY_EXISTS',
      'ok',
      'NOT_FOUND',
    ]);
    expect(listing(state)).toEqual(['/ dir', `${TRASH_ROOT} dir`, '/d dir', '/d/f file 0 [2]', '/d/old file 0 [1]']);
    expect(state.trash.size).toBe(0);
    expect(state.fileCount).toBe(2);
    expect(state.trashFileCount).toBe(0);
  });

  it('restores one path from inside a trashed directory, re-creating its missing parents', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       mkdir -p /p/q
       create /p/q/f
       chunk /p/q/f 0 1 1
       create /p/g
       rm -r -t /p
       restore /p/q/f
       restore /p/q/f
       create /x
       restore /p/g /x/g
       restore /p /p2`,
    );
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'NOT_FOUND', 'ok', 'NOT_A_DIRECTORY', 'ok']);
    expect(listing(state)).toEqual([
      '/ dir',
      `${TRASH_ROOT} dir`,
      '/p dir',
      '/p/q dir',
      '/p/q/f file 0 [1]',
      '/p2 dir',
      '/p2/g file 0 []',
      '/p2/q dir',
      '/x file 0 []',
    ]);
    // The entry left the trash once its whole tree was restored.
    expect(state.trash.size).toBe(0);
    expect(state.entries.get('/p')?.mtimeMs).toBe(1006);
  });
});

describe('purge', () => {
  it('removes entries past their retention, oldest first, and releases their chunks', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       create /a
       chunk /a 0 1 1
       create /b
       chunk /b 0 2 1
       rm -t /a
       rm -t /b
       sweep 1504 500
       sweep 1505 500
       sweep 9999 500
       purge 1005-1`,
    );
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'noop',
      'ok dropped=1',
      'ok dropped=2',
      'NOT_FOUND',
    ]);
    expect(listing(state)).toEqual(['/ dir', `${TRASH_ROOT} dir`]);
    expect(state.chunks.size).toBe(0);
    expect(state.trashFileCount).toBe(0);
  });

  it('expiredTrash stops at the first entry still within its retention and honours its bound', () => {
    const state = fresh();
    runScript(
      state,
      `create /a
       create /b
       create /c
       rm -t /a
       rm -t /b
       rm -t /c`,
    );
    expect(expiredTrash(state, 1004, 0, 10)).toEqual(['1003-1', '1004-2']);
    expect(expiredTrash(state, 1005 + 100, 100, 10)).toEqual(['1003-1', '1004-2', '1005-3']);
    expect(expiredTrash(state, 1005 + 100, 100, 2)).toEqual(['1003-1', '1004-2']);
    expect(expiredTrash(state, 1102, 100, 10)).toEqual([]);
  });
});

describe('snapshots and replay', () => {
  it('a checkpoint keeps the trash table in deletion order and the id counter', () => {
    const state = fresh();
    runScript(
      state,
      `mkdir -p /d/e
       create /d/e/f
       create /g
       rm -r -t /d
       rm -t /g
       restore /g /h`,
    );
    const reloaded = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(state))));
    expect(trashLines(reloaded)).toEqual(['1003-1 /d 1003']);
    expect(reloaded.nextTrashId).toBe(3);
    expect(reloaded.fileCount).toBe(1);
    expect(reloaded.trashFileCount).toBe(1);
    // A checkpoint from before the trash loads with an empty one.
    const { trash: _trash, nextTrashId: _next, ...old } = toSnapshot(fresh());
    const loaded = fromSnapshot(old);
    expect(loaded.trash.size).toBe(0);
    expect(loaded.nextTrashId).toBe(1);
  });

  // Weighted by repetition towards sequences that succeed often (few paths, many creates and
  // restores), so most runs trash, restore and purge several times.
  const ops = [
    ...['mkdir -p', 'mkdir -p', 'create', 'create', 'create', 'create -f -t', 'create -f -t'],
    ...['rm -t', 'rm -t', 'rm -r -t', 'rm -r', 'mv -t', 'chunk', 'chunk', 'restore', 'restore', 'restore', 'sweep'],
  ];
  const paths = ['/a', '/b', '/a/b', '/a/c'];
  const lineArb = fc
    .record({
      op: fc.constantFrom(...ops),
      p1: fc.constantFrom(...paths),
      p2: fc.constantFrom(...paths),
      n: fc.integer({ min: 0, max: 3 }),
      h: fc.integer({ min: 1, max: 40 }),
      retention: fc.integer({ min: 0, max: 30 }),
    })
    .map(({ op, p1, p2, n, h, retention }) => {
      if (op === 'mv -t') return `mv -t ${p1} ${p2}`;
      if (op === 'chunk') return `chunk ${p1} ${n} ${h} 1`;
      if (op === 'restore') return n === 0 ? `restore ${p1} ${p2}` : `restore ${p1}`;
      if (op === 'sweep') return `sweep 1040 ${retention}`;
      return `${op} ${p1}`;
    });

  it('replaying trash records gives the same state, and the trash table matches the trashed trees', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 10, maxLength: 50 }), (lines) => {
        const live = fresh();
        const { records } = runScript(live, ['reserve 50', ...lines].join('\n'));
        const replayed = fresh();
        for (const record of records) apply(replayed, record);
        expect(toSnapshot(replayed)).toEqual(toSnapshot(live));
        const reloaded = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(live))));
        expect(toSnapshot(reloaded)).toEqual(toSnapshot(live));
        for (const state of [replayed, reloaded]) {
          expect(state.fileCount).toBe(live.fileCount);
          expect(state.trashFileCount).toBe(live.trashFileCount);
        }
        // Every trash entry's tree exists and every tree below the trash root has its entry.
        expect(new Set(live.children.get(TRASH_ROOT) ?? [])).toEqual(new Set(live.trash.keys()));
        let inTrash = 0;
        let outside = 0;
        const references = new Map<string, number>();
        for (const [path, entry] of live.entries) {
          if (entry.type !== 'file') continue;
          if (path.startsWith(`${TRASH_ROOT}/`)) inTrash++;
          else outside++;
          for (const handle of entry.chunks) references.set(handle, (references.get(handle) ?? 0) + 1);
        }
        expect([live.fileCount, live.trashFileCount]).toEqual([outside, inTrash]);
        expect(new Map([...live.chunks].map(([h, m]) => [h, m.refcount]))).toEqual(references);
      }),
      { numRuns: 300 },
    );
  });
});
