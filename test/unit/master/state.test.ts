// The pure master state machine: check() + apply() driven by small scripts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply } from '../../../master/state/apply.js';
import { createState } from '../../../master/state/namespace-table.js';
import { fromSnapshot, toSnapshot } from '../../../master/state/snapshot.js';
import type { MasterState } from '../../../master/state/types.js';
import { listing, parseLine, runScript } from './script.js';

const CHUNK = 1024 * 1024;

function fresh(): MasterState {
  return createState(CHUNK);
}

describe('namespace', () => {
  it('mkdir needs an existing parent unless -p, and refuses existing paths', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `mkdir /a
       mkdir /a
       mkdir /x/y
       mkdir -p /x/y/z
       mkdir -p /x/y
       create /f
       mkdir /f/g
       mkdir -p /f/g
       mkdir -p /`,
    );
    expect(outcomes).toEqual([
      'ok',
      'ALREADY_EXISTS',
      'NOT_FOUND',
      'ok',
      'noop',
      'ok',
      'NOT_A_DIRECTORY',
      'NOT_A_DIRECTORY',
      'noop',
    ]);
    expect(listing(state)).toEqual(['/ dir', '/a dir', '/f file 0 []', '/x dir', '/x/y dir', '/x/y/z dir']);
    expect([...(state.children.get('/') ?? [])].sort()).toEqual(['a', 'f', 'x']);
    expect(state.fileCount).toBe(1);
  });

  it('create refuses directories and existing files unless overwrite, which drops the old chunks', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       mkdir /d
       create /d
       create /d/f
       chunk /d/f 0 1 1
       chunk /d/f 1 2 1
       extend /d/f 1500000
       create /d/f
       create -f /d/f
       create /nope/f
       create /d/f/g`,
    );
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'IS_A_DIRECTORY',
      'ok',
      'ok',
      'ok',
      'ok',
      'ALREADY_EXISTS',
      'ok dropped=1,2',
      'NOT_FOUND',
      'NOT_A_DIRECTORY',
    ]);
    expect(state.chunks.size).toBe(0);
    expect(listing(state)).toContain('/d/f file 0 []');
  });

  it('renames files and whole directory subtrees, keeping the children index in step', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       mkdir -p /a/b/c
       create /a/b/c/f
       chunk /a/b/c/f 0 7 1
       create /a/top
       mv /a /z
       mv /z/top /z/b/top2
       mv /z /z/b/inner
       mv /missing /y
       mv /z/b /nodir/b`,
    );
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'INVALID_ARGUMENT', 'NOT_FOUND', 'NOT_FOUND']);
    expect(listing(state)).toEqual([
      '/ dir',
      '/z dir',
      '/z/b dir',
      '/z/b/c dir',
      '/z/b/c/f file 0 [7]',
      '/z/b/top2 file 0 []',
    ]);
    expect([...(state.children.get('/z/b') ?? [])].sort()).toEqual(['c', 'top2']);
    expect(state.children.has('/a')).toBe(false);
    expect(state.children.get('/')).toEqual(new Set(['z']));
  });

  it('rename follows POSIX replacement rules', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       mkdir /d
       mkdir /e
       mkdir /full
       create /full/x
       create /f
       chunk /f 0 1 1
       create /g
       chunk /g 0 2 1
       mv /f /d
       mv /d /g
       mv /d /full
       mv /d /e
       mv /g /f
       mv /f /f
       mv / /q
       mv /f /`,
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
      'IS_A_DIRECTORY',
      'NOT_A_DIRECTORY',
      'NOT_EMPTY',
      'ok',
      'ok dropped=1',
      'noop',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
    ]);
    expect(listing(state)).toEqual(['/ dir', '/e dir', '/f file 0 [2]', '/full dir', '/full/x file 0 []']);
    expect([...state.chunks.keys()]).toEqual(['2']);
  });

  it('delete needs -r for a non-empty directory and releases every chunk below', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       mkdir -p /a/b
       create /a/b/f
       chunk /a/b/f 0 5 1
       create /a/g
       chunk /a/g 0 6 1
       rm /a
       rm /a/nothing
       rm -r /a
       rm /
       mkdir /empty
       rm /empty`,
    );
    expect(outcomes).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'NOT_EMPTY',
      'NOT_FOUND',
      'ok dropped=5,6',
      'INVALID_ARGUMENT',
      'ok',
      'ok',
    ]);
    expect(listing(state)).toEqual(['/ dir']);
    expect(state.chunks.size).toBe(0);
    expect(state.fileCount).toBe(0);
  });
});

describe('chunks', () => {
  it('addChunk appends reserved handles in order; setVersion only grows; extend only grows within chunks', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `create /f
       chunk /f 0 1 1
       reserve 10
       chunk /f 0 1 1
       chunk /f 2 2 1
       chunk /f 1 1 1
       chunk /f 1 10 1
       chunk /f 1 2 1
       version 1 3
       version 1 2
       version 9 5
       extend /f ${2 * CHUNK}
       extend /f ${2 * CHUNK + 1}
       extend /f 5
       reserve 5`,
    );
    expect(outcomes).toEqual([
      'ok',
      'INVALID_ARGUMENT',
      'ok',
      'ok',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'ok',
      'ok',
      'INVALID_ARGUMENT',
      'NOT_FOUND',
      'ok',
      'INVALID_ARGUMENT',
      'ok',
      'INVALID_ARGUMENT',
    ]);
    expect(state.chunks.get('1')).toEqual({ version: 3, refcount: 1 });
    expect(listing(state)).toContain(`/f file ${2 * CHUNK} [1,2]`);
    expect(state.nextHandle).toBe(10n);
  });
});

describe('replay', () => {
  const ops = ['mkdir', 'mkdir -p', 'create', 'create -f', 'mv', 'rm', 'rm -r', 'chunk', 'version', 'extend'];
  const paths = ['/a', '/b', '/a/b', '/a/c', '/b/a', '/a/b/c', '/c'];
  const lineArb = fc
    .record({
      op: fc.constantFrom(...ops),
      p1: fc.constantFrom(...paths),
      p2: fc.constantFrom(...paths),
      n: fc.integer({ min: 0, max: 4 }),
      h: fc.integer({ min: 1, max: 40 }),
    })
    .map(({ op, p1, p2, n, h }) => {
      if (op === 'mv') return `mv ${p1} ${p2}`;
      if (op === 'chunk') return `chunk ${p1} ${n} ${h} 1`;
      if (op === 'version') return `version ${h} ${n + 2}`;
      if (op === 'extend') return `extend ${p1} ${n * 1000}`;
      return `${op} ${p1}`;
    });

  it('replaying the logged records onto a fresh state gives the same state (and survives a snapshot)', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 60 }), (lines) => {
        const live = fresh();
        const { records } = runScript(live, ['reserve 50', ...lines].join('\n'));
        const replayed = fresh();
        for (const record of records) apply(replayed, record);
        expect(toSnapshot(replayed)).toEqual(toSnapshot(live));
        expect(replayed.children).toEqual(live.children);
        expect(replayed.fileCount).toBe(live.fileCount);
        const reloaded = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(live))));
        expect(reloaded.children).toEqual(live.children);
        expect(toSnapshot(reloaded)).toEqual(toSnapshot(live));
        // Invariants: every entry's parent is a directory listing it; refcounts match references.
        for (const path of live.entries.keys()) {
          if (path === '/') continue;
          const parent = path.slice(0, path.lastIndexOf('/')) || '/';
          expect(live.children.get(parent)?.has(path.slice(path.lastIndexOf('/') + 1))).toBe(true);
        }
        const references = new Map<string, number>();
        for (const entry of live.entries.values()) {
          if (entry.type === 'file') for (const h of entry.chunks) references.set(h, (references.get(h) ?? 0) + 1);
        }
        expect(new Map([...live.chunks].map(([h, m]) => [h, m.refcount]))).toEqual(references);
      }),
      { numRuns: 300 },
    );
  });

  it('parses script lines into records', () => {
    expect(parseLine('mv /a /b', 5)).toEqual({ op: 'rename', from: '/a', to: '/b', mtimeMs: 5 });
  });
});
