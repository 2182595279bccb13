// The state machine's attribute records: setLength (truncate, reserveAppend), chmod, setMtime,
// and extend over a file made longer than its chunks; replay of all of them gives the same state.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply } from '../../../master/state/apply.js';
import { check } from '../../../master/state/check.js';
import { createState } from '../../../master/state/namespace-table.js';
import { fromSnapshot, toSnapshot } from '../../../master/state/snapshot.js';
import type { MasterState } from '../../../master/state/types.js';
import { codeOf } from '../../harness/error-code.js';
import { listing, runScript } from './script.js';

const CHUNK = 1024 * 1024;

function fresh(): MasterState {
  return createState(CHUNK);
}

function entryOf(state: MasterState, path: string) {
  const entry = state.entries.get(path);
  if (entry === undefined) throw new Error(`no entry ${path}`);
  return entry;
}

describe('setLength (truncate)', () => {
  it('shrinking releases the chunks wholly past the new end, keeping the one that holds it', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       create /f
       chunk /f 0 1 1
       chunk /f 1 2 1
       chunk /f 2 3 1
       extend /f ${2 * CHUNK + 10}
       length /f ${CHUNK + 1}
       length /f ${CHUNK}
       length /f 0`,
    );
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok dropped=3', 'ok dropped=2', 'ok dropped=1']);
    expect(listing(state)).toContain('/f file 0 []');
    expect(state.chunks.size).toBe(0);
  });

  it('growing keeps every chunk (even ones past the old end that a write in flight fills) and makes a hole', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `reserve 100
       create /f
       chunk /f 0 1 1
       chunk /f 1 2 1
       extend /f 10
       length /f ${5 * CHUNK}
       extend /f ${3 * CHUNK}
       extend /f ${5 * CHUNK}
       extend /f ${5 * CHUNK + 1}`,
    );
    // Extends within the length the file already has are fine; past it they still need chunks.
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'INVALID_ARGUMENT']);
    expect(listing(state)).toContain(`/f file ${5 * CHUNK} [1,2]`);
  });

  it('a shrink from a hole releases only the chunks past the new end', () => {
    const state = fresh();
    runScript(
      state,
      `reserve 100
       create /f
       chunk /f 0 1 1
       length /f ${4 * CHUNK}`,
    );
    const { outcomes } = runScript(state, `length /f ${2 * CHUNK}\nlength /f 7`);
    expect(outcomes).toEqual(['ok', 'ok']);
    expect(listing(state)).toContain('/f file 7 [1]');
  });

  it('refuses directories, missing paths and bad lengths, and sets the mtime', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `mkdir /d
       create /f
       length /d 5
       length /nope 5
       length /f 1.5
       length /f ${Number.MAX_SAFE_INTEGER + 1}
       length /f 42`,
    );
    expect(outcomes).toEqual(['ok', 'ok', 'IS_A_DIRECTORY', 'NOT_FOUND', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'ok']);
    expect(entryOf(state, '/f')).toMatchObject({ length: 42, mtimeMs: 1006 });
    expect(codeOf(() => check(state, { op: 'setLength', path: '/f', length: -1, mtimeMs: 1 }))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('chmod and setMtime', () => {
  it('set the mode and the mtime of files and directories; chmod leaves the mtime alone', () => {
    const state = fresh();
    const { outcomes } = runScript(
      state,
      `mkdir /d
       create /d/f
       chmod /d/f 600
       chmod /d 4711
       chmod / 700
       touch /d/f 123456789
       touch /d 5
       chmod /nope 644
       touch /nope 5
       chmod /d/f 17777`,
    );
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'NOT_FOUND', 'NOT_FOUND', 'INVALID_ARGUMENT']);
    expect(entryOf(state, '/d/f')).toMatchObject({ mode: 0o600, mtimeMs: 123456789 });
    expect(entryOf(state, '/d')).toMatchObject({ mode: 0o4711, mtimeMs: 5 });
    expect(entryOf(state, '/').mode).toBe(0o700);
  });

  it('refuses modes that are not whole numbers and times a Date cannot hold', () => {
    const state = fresh();
    runScript(state, 'create /f');
    for (const mode of [-1, 0.5, Number.NaN, 0o10000]) {
      expect(codeOf(() => check(state, { op: 'chmod', path: '/f', mode }))).toBe('INVALID_ARGUMENT');
    }
    for (const mtimeMs of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1, -8.64e15 - 1]) {
      expect(codeOf(() => check(state, { op: 'setMtime', path: '/f', mtimeMs }))).toBe('INVALID_ARGUMENT');
    }
    expect(check(state, { op: 'setMtime', path: '/f', mtimeMs: -1000.5 })).toBe(true);
  });
});

describe('replay with attribute records', () => {
  const paths = ['/a', '/b', '/a/b', '/c'];
  const lineArb = fc
    .record({
      op: fc.constantFrom('mkdir', 'create', 'create -f', 'mv', 'rm -r', 'chunk', 'extend', 'length', 'chmod', 'touch'),
      p1: fc.constantFrom(...paths),
      p2: fc.constantFrom(...paths),
      n: fc.integer({ min: 0, max: 4 }),
      h: fc.integer({ min: 1, max: 40 }),
      bytes: fc.integer({ min: 0, max: 5 * CHUNK }),
    })
    .map(({ op, p1, p2, n, h, bytes }) => {
      if (op === 'mv') return `mv ${p1} ${p2}`;
      if (op === 'chunk') return `chunk ${p1} ${n} ${h} 1`;
      if (op === 'extend') return `extend ${p1} ${bytes}`;
      if (op === 'length') return `length ${p1} ${bytes}`;
      if (op === 'chmod') return `chmod ${p1} ${(h * 37).toString(8)}`;
      if (op === 'touch') return `touch ${p1} ${bytes}`;
      return `${op} ${p1}`;
    });

  it('replaying the logged records gives the same state, and refcounts match the references', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { maxLength: 60 }), (lines) => {
        const live = fresh();
        const { records } = runScript(live, ['reserve 50', ...lines].join('\n'));
        const replayed = fresh();
        for (const record of records) apply(replayed, record);
        expect(toSnapshot(replayed)).toEqual(toSnapshot(live));
        expect(toSnapshot(fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(live)))))).toEqual(toSnapshot(live));
        const references = new Map<string, number>();
        for (const entry of live.entries.values()) {
          if (entry.type === 'file') for (const h of entry.chunks) references.set(h, (references.get(h) ?? 0) + 1);
        }
        expect(new Map([...live.chunks].map(([h, m]) => [h, m.refcount]))).toEqual(references);
      }),
      { numRuns: 300 },
    );
  });
});
