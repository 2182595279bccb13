// Where the replicas of many new chunks created together go (the chunk pool's refills). Placing
// each one as placeReplicas does would put the whole batch on the same servers, since nothing a
// placement looks at changes within the batch, and make one server the primary of all of them.
// So each chunk goes to the servers the batch used least so far (ties: the usual ranking, racks
// spread as usual), and its primary is the chosen server that is primary of the fewest.

import { type PlacementHints, rankServers, spreadOverRacks } from './placement.js';
import type { ChunkserverInfo } from './registry.js';

/** For each of `count` chunks, `replicas` servers, the primary first. */
export function placeBatch(
  live: readonly ChunkserverInfo[],
  count: number,
  replicas: number,
  hints?: PlacementHints,
): ChunkserverInfo[][] {
  const ranked = rankServers(live, hints);
  const rank = new Map(ranked.map((info, i) => [info.id, i]));
  const replicasOf = new Map<string, number>();
  const primariesOf = new Map<string, number>();
  const placements: ChunkserverInfo[][] = [];
  for (let i = 0; i < count; i++) {
    const byUse = [...ranked].sort((a, b) => (replicasOf.get(a.id) ?? 0) - (replicasOf.get(b.id) ?? 0));
    const chosen = spreadOverRacks(byUse, replicas);
    const primary = [...chosen].sort(
      (a, b) =>
        (primariesOf.get(a.id) ?? 0) - (primariesOf.get(b.id) ?? 0) || (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0),
    )[0];
    if (primary === undefined) break;
    for (const info of chosen) replicasOf.set(info.id, (replicasOf.get(info.id) ?? 0) + 1);
    primariesOf.set(primary.id, (primariesOf.get(primary.id) ?? 0) + 1);
    placements.push([primary, ...chosen.filter((info) => info !== primary)]);
  }
  return placements;
}
