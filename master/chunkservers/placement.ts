// Where replicas go (GFS §4.2, §4.3), for new chunks and for clones alike: spread over racks
// first, then servers under the recent-creations limit, then the lowest disk utilisation (used /
// capacity: "favour free space"), then fewest bytes, fewest chunks and id, so ties break stably.

import type { ChunkserverInfo } from './registry.js';

export interface PlacementHints {
  /** True when the server took many new replicas lately (a soft limit: see RecentCreations). */
  isOverCreationLimit(id: string): boolean;
}

const NO_HINTS: PlacementHints = { isOverCreationLimit: () => false };

/** Disk use as a fraction of capacity; a server that reports no capacity counts as full. */
export function utilisation(info: ChunkserverInfo): number {
  return info.capacityBytes > 0 ? info.usedBytes / info.capacityBytes : 1;
}

/** Servers in order of preference (best first). */
export function rankServers(servers: readonly ChunkserverInfo[], hints: PlacementHints = NO_HINTS): ChunkserverInfo[] {
  const over = new Map(servers.map((info) => [info.id, hints.isOverCreationLimit(info.id)]));
  return [...servers].sort(
    (a, b) =>
      Number(over.get(a.id)) - Number(over.get(b.id)) ||
      utilisation(a) - utilisation(b) ||
      a.usedBytes - b.usedBytes ||
      a.chunks.size - b.chunks.size ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * `count` servers from `ranked`: first the best one of each rack not in `usedRacks` (racks already
 * holding a replica), then the best of the rest. Without racks (all `''`) this is simply the best.
 */
export function spreadOverRacks(
  ranked: readonly ChunkserverInfo[],
  count: number,
  usedRacks: ReadonlySet<string> = new Set(),
): ChunkserverInfo[] {
  const chosen: ChunkserverInfo[] = [];
  const racks = new Set(usedRacks);
  for (const info of ranked) {
    if (chosen.length >= count) break;
    if (racks.has(info.rack)) continue;
    racks.add(info.rack);
    chosen.push(info);
  }
  for (const info of ranked) {
    if (chosen.length >= count) break;
    if (!chosen.includes(info)) chosen.push(info);
  }
  return chosen;
}

/** Servers for a new chunk's replicas. */
export function placeReplicas(
  live: readonly ChunkserverInfo[],
  count: number,
  hints: PlacementHints = NO_HINTS,
): ChunkserverInfo[] {
  return spreadOverRacks(rankServers(live, hints), count);
}

/**
 * The target of a clone among `candidates` (live servers without a copy of the chunk, with room
 * for it), given the servers that hold its good replicas: another rack than theirs when one
 * exists, else the best-ranked server.
 */
export function placeClone(
  candidates: readonly ChunkserverInfo[],
  holders: readonly ChunkserverInfo[],
  hints: PlacementHints = NO_HINTS,
): ChunkserverInfo | undefined {
  return spreadOverRacks(rankServers(candidates, hints), 1, new Set(holders.map((info) => info.rack)))[0];
}
