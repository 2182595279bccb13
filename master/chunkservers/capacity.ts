// Cluster capacity for statfs (`df` on a mount), from the live chunkservers' last heartbeats.
// Capacity and use are raw sums, as `gfs status` shows them; free space is what a client can
// still write, counting that every byte is stored `replication` times on distinct chunkservers.

import type { FsStats } from '../../shared/protocol/namespace.js';
import type { ChunkserverRegistry } from './registry.js';

/**
 * Largest X such that X bytes, each stored on `replication` distinct servers (new chunks go to
 * min(replication, live) servers), fit in the free space `freeBytes` of the servers. Each byte
 * puts at most one replica on any server, so the k fullest-free servers take at most k·X and the
 * others must hold the remaining (r − k)·X: X = min over k < r of (free of all but the k largest)
 * / (r − k). With equal servers this is total free / r; one huge server cannot make up for small
 * ones, because it holds only one replica of each byte.
 */
export function writableBytes(freeBytes: readonly number[], replication: number): number {
  const replicas = Math.min(replication, freeBytes.length);
  if (replicas <= 0) return 0;
  const sorted = freeBytes.map((bytes) => Math.max(0, bytes)).sort((a, b) => b - a);
  let rest = sorted.reduce((sum, bytes) => sum + bytes, 0);
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < replicas; k++) {
    best = Math.min(best, rest / (replicas - k));
    rest -= sorted[k] as number;
  }
  return Math.floor(best);
}

export function clusterStats(registry: ChunkserverRegistry, replication: number, files: number, now: number): FsStats {
  const live = registry.liveServers(now);
  let capacityBytes = 0;
  let usedBytes = 0;
  for (const info of live) {
    capacityBytes += info.capacityBytes;
    usedBytes += info.usedBytes;
  }
  const freeBytes = writableBytes(
    live.map((info) => info.capacityBytes - info.usedBytes),
    replication,
  );
  return { capacityBytes, usedBytes, freeBytes, files };
}
