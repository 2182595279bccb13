// Where a new chunk's replicas go (GFS §4.2): the live chunkservers with the fewest bytes used
// (then fewest chunks, then id, so ties break stably), one per rack first when racks differ.

import type { ChunkserverInfo } from '../chunkservers/registry.js';

export function placeReplicas(live: readonly ChunkserverInfo[], count: number): ChunkserverInfo[] {
  const sorted = [...live].sort(
    (a, b) => a.usedBytes - b.usedBytes || a.chunks.size - b.chunks.size || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const chosen: ChunkserverInfo[] = [];
  const racks = new Set<string>();
  for (const info of sorted) {
    if (chosen.length >= count) break;
    if (racks.has(info.rack)) continue;
    racks.add(info.rack);
    chosen.push(info);
  }
  for (const info of sorted) {
    if (chosen.length >= count) break;
    if (!chosen.includes(info)) chosen.push(info);
  }
  return chosen;
}
