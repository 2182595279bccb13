// Placement of a batch of new chunks (the chunk pool's refills): spread over all servers and
// racks, with the primaries spread too, instead of the whole batch on the best-ranked few.

import { describe, expect, it } from 'vitest';
import { placeBatch } from '../../../master/chunkservers/batch-placement.js';
import type { ChunkserverInfo } from '../../../master/chunkservers/registry.js';

function server(id: string, rack = '', usedBytes = 0): ChunkserverInfo {
  return {
    id,
    address: `${id}:1`,
    rack,
    capacityBytes: 1e12,
    usedBytes,
    lastHeartbeatMs: 0,
    chunks: new Set(),
    pendingDeletes: new Set(),
    heldAdoptions: new Map(),
    heartbeating: true,
  };
}

function countBy(placements: ChunkserverInfo[][], pick: (servers: ChunkserverInfo[]) => ChunkserverInfo[]) {
  const counts = new Map<string, number>();
  for (const servers of placements)
    for (const info of pick(servers)) counts.set(info.id, (counts.get(info.id) ?? 0) + 1);
  return Object.fromEntries([...counts].sort());
}

describe('placeBatch', () => {
  it('spreads replicas and primaries evenly over equal servers', () => {
    const servers = ['s1', 's2', 's3', 's4', 's5', 's6'].map((id) => server(id));
    const placements = placeBatch(servers, 6, 3);
    expect(placements.every((chosen) => new Set(chosen).size === 3)).toBe(true);
    expect(countBy(placements, (chosen) => chosen)).toEqual({ s1: 3, s2: 3, s3: 3, s4: 3, s5: 3, s6: 3 });
    expect(countBy(placements, (chosen) => chosen.slice(0, 1))).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1, s5: 1, s6: 1 });
  });

  it('rotates the primary when every chunk has every server, and keeps racks apart', () => {
    const three = ['a', 'b', 'c'].map((id) => server(id));
    const primaries = placeBatch(three, 6, 3).map((chosen) => chosen[0]?.id);
    expect(primaries.sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
    const racked = [server('x1', 'x'), server('x2', 'x'), server('y1', 'y'), server('y2', 'y')];
    for (const chosen of placeBatch(racked, 4, 2)) expect(new Set(chosen.map((info) => info.rack)).size).toBe(2);
  });

  it('prefers the less used servers first, as single placements do', () => {
    const servers = [server('full', '', 9e11), server('empty1'), server('empty2')];
    expect(
      placeBatch(servers, 1, 2)[0]
        ?.map((info) => info.id)
        .sort(),
    ).toEqual(['empty1', 'empty2']);
  });
});
