// Picks the source and target of one clone (GFS §4.3), or says why none can start now:
// `unplaceable` when no live server could take the chunk at all (every one holds a copy, or has
// no room), `throttled` when the servers that could are busy with as many clones as they may run.

import type { PlacementHints } from '../chunkservers/placement.js';
import { placeClone } from '../chunkservers/placement.js';
import type { ChunkserverInfo } from '../chunkservers/registry.js';

export interface ClonePlanInput {
  handle: string;
  /** Live servers holding a good replica: the possible sources. */
  holders: readonly ChunkserverInfo[];
  /** Every live server. */
  live: readonly ChunkserverInfo[];
  chunkSizeBytes: number;
  /** True when the server already has some copy of the chunk (good, corrupt, to be deleted). */
  holdsCopy(id: string, handle: string): boolean;
  /** Clones the server takes part in now, as source or target. */
  clonesOf(id: string): number;
  /** Clones coming into the server now (each may need a whole chunk of its free space). */
  incomingOf(id: string): number;
  clonesPerServerMax: number;
  hints: PlacementHints;
}

export type ClonePlan =
  | { kind: 'start'; source: ChunkserverInfo; target: ChunkserverInfo }
  | { kind: 'throttled' }
  | { kind: 'unplaceable' };

export function planClone(input: ClonePlanInput): ClonePlan {
  const { handle, holders, chunkSizeBytes } = input;
  const free = (info: ChunkserverInfo) =>
    info.capacityBytes - info.usedBytes - input.incomingOf(info.id) * chunkSizeBytes;
  const candidates = input.live.filter((info) => !input.holdsCopy(info.id, handle) && free(info) >= chunkSizeBytes);
  if (candidates.length === 0 || holders.length === 0) return { kind: 'unplaceable' };
  const idle = (info: ChunkserverInfo) => input.clonesOf(info.id) < input.clonesPerServerMax;
  const best = placeClone(candidates, holders, input.hints) as ChunkserverInfo;
  let target: ChunkserverInfo | undefined = best;
  if (!idle(best)) {
    target = placeClone(candidates.filter(idle), holders, input.hints);
    // Waiting for the best server beats giving up the rack spread for one that is free now.
    const racks = new Set(holders.map((info) => info.rack));
    if (target !== undefined && racks.has(target.rack) && !racks.has(best.rack)) target = undefined;
  }
  const source = holders
    .filter(idle)
    .sort((a, b) => input.clonesOf(a.id) - input.clonesOf(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
  if (target === undefined || source === undefined) return { kind: 'throttled' };
  return { kind: 'start', source, target };
}
