// The rebalancing planner (DESIGN §4, pure): which replicas move now to even out disk use.
//
// Disk use is a server's used bytes over its capacity, from its heartbeats; the mean is the
// cluster's (all used over all capacity of the live servers). As in the HDFS balancer, a server
// more than the threshold above the mean is over-full, more than the threshold below under-full;
// a move goes from a server above the mean to one below it, and at least one of them must be
// beyond the threshold, so a balanced cluster (nobody beyond it) moves nothing. Fullest sources
// are paired with the emptiest targets first, each server in at most one move. A move never
// makes the target fuller than the source is left, never takes a target's last chunk of room, and
// keeps the chunk on as many racks as before.

import { utilisation } from '../chunkservers/placement.js';
import type { ChunkserverInfo } from '../chunkservers/registry.js';
import { compareFullness } from './trim-choice.js';

export interface RebalanceInput {
  /** Every live server: the mean is taken over all of them. */
  live: readonly ChunkserverInfo[];
  /** The threshold as a fraction of capacity (10 percentage points = 0.1). */
  thresholdFraction: number;
  /** What a move may add to its target: the chunk size (a replica's size is learned only when it is copied). */
  moveBytes: number;
  /** Moves that may start now. */
  movesMax: number;
  /** True when the server may take part in a move now (no clone or move of its own, within its rate). */
  mayMove(id: string): boolean;
  /** Bytes already on their way to the server (clones in flight). */
  incomingBytes(id: string): number;
  /** Chunks of the server that may move now (not leased, busy or corrupt), in the order to try them. */
  candidates(source: ChunkserverInfo): Iterable<string>;
  /** Live servers holding a good replica of the chunk. */
  holders(handle: string): readonly ChunkserverInfo[];
  /** True when the server has some copy of the chunk (good, corrupt, or about to be deleted). */
  holdsCopy(id: string, handle: string): boolean;
}

export interface Move {
  handle: string;
  source: ChunkserverInfo;
  target: ChunkserverInfo;
}

export interface Balance {
  /** Used over capacity of the servers that report a capacity; undefined when none does. */
  mean: number | undefined;
  overFull: ChunkserverInfo[];
  underFull: ChunkserverInfo[];
}

/** Where the cluster stands against the threshold. */
export function balanceOf(live: readonly ChunkserverInfo[], thresholdFraction: number): Balance {
  const servers = live.filter((info) => info.capacityBytes > 0);
  let used = 0;
  let capacity = 0;
  for (const info of servers) {
    used += info.usedBytes;
    capacity += info.capacityBytes;
  }
  if (capacity === 0) return { mean: undefined, overFull: [], underFull: [] };
  const mean = used / capacity;
  return {
    mean,
    overFull: servers.filter((info) => utilisation(info) > mean + thresholdFraction),
    underFull: servers.filter((info) => utilisation(info) < mean - thresholdFraction),
  };
}

export function planMoves(input: RebalanceInput): Move[] {
  const { mean, overFull, underFull } = balanceOf(input.live, input.thresholdFraction);
  if (mean === undefined || (overFull.length === 0 && underFull.length === 0)) return [];
  const servers = input.live.filter((info) => info.capacityBytes > 0);
  const sources = servers.filter((info) => utilisation(info) > mean).sort(compareFullness);
  const targets = servers.filter((info) => utilisation(info) < mean).sort((a, b) => compareFullness(b, a));
  const moves: Move[] = [];
  const taken = new Set<string>();
  for (const source of sources) {
    if (moves.length >= input.movesMax) break;
    if (!input.mayMove(source.id)) continue;
    for (const target of targets) {
      if (taken.has(target.id) || !input.mayMove(target.id)) continue;
      // Between two servers both within the threshold, a move would only churn.
      if (!overFull.includes(source) && !underFull.includes(target)) continue;
      if (!hasRoom(source, target, input)) continue;
      const handle = chunkToMove(source, target, input);
      if (handle === undefined) continue;
      moves.push({ handle, source, target });
      taken.add(source.id);
      taken.add(target.id);
      break;
    }
  }
  return moves;
}

/** Room for one more chunk on the target, and the target no fuller than the source afterwards. */
function hasRoom(source: ChunkserverInfo, target: ChunkserverInfo, input: RebalanceInput): boolean {
  const targetUsed = target.usedBytes + input.incomingBytes(target.id) + input.moveBytes;
  if (targetUsed > target.capacityBytes) return false;
  return targetUsed / target.capacityBytes <= (source.usedBytes - input.moveBytes) / source.capacityBytes;
}

/** The first candidate the target has no copy of whose move keeps the chunk on as many racks. */
function chunkToMove(source: ChunkserverInfo, target: ChunkserverInfo, input: RebalanceInput): string | undefined {
  for (const handle of input.candidates(source)) {
    if (input.holdsCopy(target.id, handle)) continue;
    const holders = input.holders(handle);
    if (!holders.includes(source)) continue;
    const racksBefore = new Set(holders.map((info) => info.rack)).size;
    const racksAfter = new Set([...holders.filter((info) => info !== source).map((info) => info.rack), target.rack])
      .size;
    if (racksAfter >= racksBefore) return handle;
  }
  return undefined;
}
