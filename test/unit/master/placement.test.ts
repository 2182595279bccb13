// Placement of new replicas and clones (racks, free space, recent creations), the clone planner's
// throttles, and the repair priority order: pure functions, no master needed.

import { describe, expect, it } from 'vitest';
import { placeClone, placeReplicas } from '../../../master/chunkservers/placement.js';
import { RecentCreations } from '../../../master/chunkservers/recent-creations.js';
import type { ChunkserverInfo } from '../../../master/chunkservers/registry.js';
import { planClone } from '../../../master/replication/clone-plan.js';
import { compareUrgency, type RepairUrgency, TopList } from '../../../master/replication/priority.js';
import { GiB, ids, server } from './servers.js';

describe('placement', () => {
  it('spreads a new chunk over racks first, then favours the least utilised servers', () => {
    const servers = [
      server('a1', { rack: 'a', usedBytes: 10 * GiB }),
      server('a2', { rack: 'a', usedBytes: 1 * GiB }),
      server('b1', { rack: 'b', usedBytes: 50 * GiB }),
      server('b2', { rack: 'b', usedBytes: 40 * GiB }),
      server('c1', { rack: 'c', usedBytes: 90 * GiB }),
    ];
    expect(ids(placeReplicas(servers, 3))).toEqual(['a2', 'b2', 'c1']);
    expect(ids(placeReplicas(servers, 4))).toEqual(['a2', 'b2', 'c1', 'a1']);
  });

  it('ranks by utilisation (used / capacity), not raw bytes: a big server with more data can be emptier', () => {
    const servers = [
      server('small', { capacityBytes: 10 * GiB, usedBytes: 5 * GiB }),
      server('big', { capacityBytes: 1000 * GiB, usedBytes: 100 * GiB }),
    ];
    expect(ids(placeReplicas(servers, 1))).toEqual(['big']);
  });

  it('prefers servers under the recent-creations limit, but still uses one over it when nothing else fits', () => {
    let now = 0;
    const recent = new RecentCreations(() => now, 2, 1_000);
    const servers = [server('empty'), server('used', { usedBytes: 50 * GiB })];
    const hints = { isOverCreationLimit: (id: string) => recent.isOverLimit(id) };
    recent.record('empty');
    expect(ids(placeReplicas(servers, 1, hints))).toEqual(['empty']);
    recent.record('empty');
    expect(ids(placeReplicas(servers, 1, hints))).toEqual(['used']);
    expect(ids(placeReplicas(servers, 2, hints))).toEqual(['used', 'empty']);
    // The window slides: old creations stop counting.
    now = 1_001;
    expect(recent.count('empty')).toBe(0);
    expect(ids(placeReplicas(servers, 1, hints))).toEqual(['empty']);
  });

  it('keeps a bounded number of creation times per server', () => {
    const recent = new RecentCreations(() => 0, 3, 1_000);
    for (let i = 0; i < 100; i++) recent.record('x');
    expect(recent.count('x')).toBe(4);
    recent.retain(new Set());
    expect(recent.count('x')).toBe(0);
  });

  it('clones to a rack the surviving replicas are not on when there is one', () => {
    const holders = [server('a1', { rack: 'a' })];
    const candidates = [server('a2', { rack: 'a' }), server('b1', { rack: 'b', usedBytes: 80 * GiB })];
    expect(placeClone(candidates, holders)?.id).toBe('b1');
    expect(placeClone([server('a2', { rack: 'a' })], holders)?.id).toBe('a2');
    expect(placeClone([], holders)).toBeUndefined();
  });
});

describe('clone planning', () => {
  const CHUNK = GiB / 16;
  function plan(
    holders: ChunkserverInfo[],
    live: ChunkserverInfo[],
    busy: Record<string, number> = {},
    copies: string[] = [],
  ) {
    return planClone({
      handle: '7',
      holders,
      live,
      chunkSizeBytes: CHUNK,
      holdsCopy: (id) => copies.includes(id) || holders.some((info) => info.id === id),
      clonesOf: (id) => busy[id] ?? 0,
      incomingOf: (id) => busy[id] ?? 0,
      clonesPerServerMax: 2,
      hints: { isOverCreationLimit: () => false },
    });
  }

  it('picks the least busy source and a target without a copy', () => {
    const h1 = server('h1');
    const h2 = server('h2');
    const t = server('t');
    const result = plan([h1, h2], [h1, h2, t, server('copy')], { h1: 1 }, ['copy']);
    expect(result.kind === 'start' && [result.source.id, result.target.id]).toEqual(['h2', 't']);
  });

  it('is throttled when every source or the target is busy, unplaceable when no server could take it', () => {
    const h1 = server('h1');
    const t = server('t');
    expect(plan([h1], [h1, t], { h1: 2 }).kind).toBe('throttled');
    expect(plan([h1], [h1, t], { t: 2 }).kind).toBe('throttled');
    expect(plan([h1], [h1]).kind).toBe('unplaceable');
    expect(plan([h1], [h1, server('full', { capacityBytes: CHUNK, usedBytes: 1 })]).kind).toBe('unplaceable');
    // Room is counted net of the clones already coming in (each may need a whole chunk).
    const tight = server('tight', { capacityBytes: 2 * CHUNK, usedBytes: 0 });
    expect(plan([h1], [h1, tight], { tight: 1 }).kind).toBe('start');
    expect(plan([h1], [h1, tight], { tight: 2 }).kind).toBe('unplaceable');
  });

  it('waits for a busy server on a new rack rather than cloning into the rack it already is on', () => {
    const h1 = server('h1', { rack: 'a' });
    const sameRack = server('a2', { rack: 'a' });
    const otherRack = server('b1', { rack: 'b' });
    expect(plan([h1], [h1, sameRack, otherRack], { b1: 2 }).kind).toBe('throttled');
    const result = plan([h1], [h1, sameRack, otherRack]);
    expect(result.kind === 'start' && result.target.id).toBe('b1');
  });
});

describe('repair priority', () => {
  const chunk = (handle: string, goal: number, live: number, trashed = false): RepairUrgency => ({
    handle,
    goal,
    live,
    trashed,
  });

  it('orders by replicas missing, then live files before trashed, then fewest live, then handle', () => {
    const chunks = [
      chunk('10', 3, 2),
      chunk('9', 3, 2, true),
      chunk('8', 3, 1),
      chunk('2', 2, 1),
      chunk('100', 3, 1, true),
      chunk('11', 5, 3),
      chunk('3', 3, 2),
    ];
    expect(chunks.sort(compareUrgency).map((c) => c.handle)).toEqual(['8', '11', '100', '2', '3', '10', '9']);
  });

  it('keeps the most urgent items in bounded memory', () => {
    const top = new TopList<RepairUrgency>(3, compareUrgency);
    for (let i = 1; i <= 1000; i++) top.push(chunk(String(i), 3, i % 3));
    expect(top.total).toBe(1000);
    expect(top.sorted().map((c) => c.handle)).toEqual(['3', '6', '9']);
  });
});
