// The rebalancing planner and the choice of replicas to trim: pure functions on hand-built
// chunkserver entries (disk use, racks, chunks), no master needed.

import { describe, expect, it } from 'vitest';
import type { ChunkserverInfo } from '../../../master/chunkservers/registry.js';
import { balanceOf, type Move, planMoves, type RebalanceInput } from '../../../master/replication/rebalance-plan.js';
import { chooseTrims } from '../../../master/replication/trim-choice.js';
import { GiB, ids, server } from './servers.js';

const CHUNK = 64 * 1024 * 1024;

/** A server at `percent` of its 100 GiB, holding `chunks`. */
function at(id: string, percent: number, chunks: string[] = [], rack = ''): ChunkserverInfo {
  return server(id, { usedBytes: percent * GiB, chunks: new Set(chunks), rack });
}

function plan(live: ChunkserverInfo[], overrides: Partial<RebalanceInput> = {}): Move[] {
  return planMoves({
    live,
    thresholdFraction: 0.1,
    moveBytes: CHUNK,
    movesMax: 4,
    mayMove: () => true,
    incomingBytes: () => 0,
    candidates: (source) => source.chunks,
    holders: (handle) => live.filter((info) => info.chunks.has(handle)),
    holdsCopy: (id, handle) => live.find((info) => info.id === id)?.chunks.has(handle) === true,
    ...overrides,
  });
}

const described = (moves: Move[]) => moves.map((move) => `${move.handle}:${move.source.id}->${move.target.id}`);

describe('rebalancing planner', () => {
  it('moves nothing while every server is within the threshold of the mean', () => {
    const live = [at('a', 40, ['1']), at('b', 45, ['2']), at('c', 50, ['3'])];
    expect(balanceOf(live, 0.1)).toMatchObject({ mean: 0.45, overFull: [], underFull: [] });
    expect(plan(live)).toEqual([]);
  });

  it('moves from the fullest servers to the emptiest, each server in one move at most', () => {
    const live = [at('a', 60, ['1', '2']), at('b', 70, ['3', '4']), at('c', 65, ['5']), at('new', 0)];
    // One empty target: one move, from the fullest.
    expect(described(plan(live))).toEqual(['3:b->new']);
    const two = [...live, at('new2', 0)];
    expect(described(plan(two))).toEqual(['3:b->new', '5:c->new2']);
    expect(described(plan(two, { movesMax: 1 }))).toEqual(['3:b->new']);
    expect(ids(balanceOf(two, 0.1).underFull)).toEqual(['new', 'new2']);
  });

  it('moves from a server within the threshold only to an under-full one', () => {
    // Mean 42.5: a, b and c are above it but within 10 points; d is 22.5 points below.
    const live = [at('a', 50, ['1']), at('b', 50, ['2']), at('c', 50, ['3']), at('d', 20)];
    expect(described(plan(live))).toEqual(['3:c->d']);
    // d within the threshold as well (mean 45): nobody is out of balance.
    expect(plan([at('a', 50, ['1']), at('d', 40)])).toEqual([]);
  });

  it('skips chunks the target holds, and chunks whose move would leave a rack', () => {
    const target = at('t', 0, ['0'], 'r2');
    const live = [at('s', 80, ['0', '1', '2'], 'r1'), at('x', 50, ['1'], 'r2'), at('y', 50, ['2'], 'r1'), target];
    // 0: t has it. 1: on r1 (s) and r2 (x); moving s's copy to t (r2) leaves r1. 2: on r1 only; to r2 adds one.
    expect(described(plan(live))).toEqual(['2:s->t']);
  });

  it('needs room for a chunk on the target and never makes it fuller than the source is left', () => {
    const tiny = (id: string, usedBytes: number) => server(id, { capacityBytes: 2 * CHUNK, usedBytes });
    // 50% of two chunks: one more fills it, beyond the source's 60%.
    expect(plan([at('s', 60, ['1']), tiny('t', CHUNK)])).toEqual([]);
    // Room counts the clones already coming in.
    expect(plan([at('s', 60, ['1']), tiny('t', 0)], { incomingBytes: () => 2 * CHUNK })).toEqual([]);
    expect(described(plan([at('s', 60, ['1']), tiny('t', 0)]))).toEqual(['1:s->t']);
  });

  it('leaves out servers that may not move now (busy, over their rate)', () => {
    const live = [at('a', 70, ['1']), at('b', 70, ['2']), at('new', 0)];
    expect(described(plan(live, { mayMove: (id) => id !== 'b' }))).toEqual(['1:a->new']);
    expect(plan(live, { mayMove: (id) => id !== 'new' })).toEqual([]);
  });

  it('leaves out servers that report no capacity', () => {
    expect(plan([at('a', 70, ['1']), server('none', { capacityBytes: 0 })])).toEqual([]);
  });
});

describe('trim choice', () => {
  it('drops replicas from the fullest servers down to the goal, never below', () => {
    const holders = [at('a', 10), at('b', 90), at('c', 50), at('d', 70)];
    expect(ids(chooseTrims(holders, 2))).toEqual(['b', 'd']);
    expect(ids(chooseTrims(holders, 4))).toEqual([]);
    expect(ids(chooseTrims(holders, 0))).toEqual(['b', 'd', 'c']);
  });

  it('keeps every rack the chunk is on when it can, even over a fuller server', () => {
    const holders = [at('a1', 20, [], 'r1'), at('a2', 10, [], 'r1'), at('b1', 95, [], 'r2')];
    expect(ids(chooseTrims(holders, 2))).toEqual(['a1']);
    // Each replica alone on its rack: one rack must go, the fullest server's.
    expect(ids(chooseTrims([at('a', 20, [], 'r1'), at('b', 95, [], 'r2')], 1))).toEqual(['b']);
  });

  it('breaks ties by bytes, then by id, so the choice is stable', () => {
    const equal = [server('a', { usedBytes: 5 }), server('c', { usedBytes: 5 }), server('b', { usedBytes: 5 })];
    expect(ids(chooseTrims(equal, 2))).toEqual(['c']);
  });
});
