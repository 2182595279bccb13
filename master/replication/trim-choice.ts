// Which replicas of a chunk above its replication goal are deleted (pure): as many as it has beyond
// the goal, one at a time; each time among the replicas whose removal keeps every rack the chunk
// is on (the rack spread placement built), the one on the fullest server (disk use, then bytes,
// then the larger id, so the choice is stable). Trimming from the fullest also evens out disk use.

import { utilisation } from '../chunkservers/placement.js';
import type { ChunkserverInfo } from '../chunkservers/registry.js';

/** The replicas to delete so that `goal` remain (never the last one, whatever the goal says). */
export function chooseTrims(holders: readonly ChunkserverInfo[], goal: number): ChunkserverInfo[] {
  const kept = [...holders];
  const dropped: ChunkserverInfo[] = [];
  while (kept.length > Math.max(goal, 1)) {
    const perRack = new Map<string, number>();
    for (const info of kept) perRack.set(info.rack, (perRack.get(info.rack) ?? 0) + 1);
    // A replica that shares its rack with another can go without losing a rack; when none does,
    // every replica is alone on its rack and one rack must go anyway.
    const sharing = kept.filter((info) => (perRack.get(info.rack) ?? 0) > 1);
    const pool = sharing.length > 0 ? sharing : kept;
    const victim = pool.reduce((fullest, info) => (compareFullness(info, fullest) < 0 ? info : fullest));
    kept.splice(kept.indexOf(victim), 1);
    dropped.push(victim);
  }
  return dropped;
}

/** Negative when `a` is fuller than `b`. */
export function compareFullness(a: ChunkserverInfo, b: ChunkserverInfo): number {
  return utilisation(b) - utilisation(a) || b.usedBytes - a.usedBytes || (a.id > b.id ? -1 : a.id < b.id ? 1 : 0);
}
