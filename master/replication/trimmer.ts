// Trimming replicas above a chunk's replication goal (issue 5), e.g. after a dead chunkserver came
// back with chunks that were re-replicated while it was away. The health scan lists the chunks
// with more live, up-to-date, uncorrupted replicas than their goal (for a chunk several files
// share, the highest goal among them); on each tick the trimmer takes those with no valid lease and
// no grant or clone in flight, and deletes the replicas chooseTrims picks through the heartbeat
// replies of their servers, the path stale and orphaned replicas take. A trimmed replica leaves
// the chunk's locations at once (never handed out or counted again), and a full report from its
// server does not bring it back while its deletion is pending (reports.ts).

import type { Logger } from '../../shared/log.js';
import { utilisation } from '../chunkservers/placement.js';
import type { ChunkserverInfo, ChunkserverRegistry } from '../chunkservers/registry.js';
import type { LeaseManager } from '../leases/lease-manager.js';
import type { MasterState } from '../state/types.js';
import type { OverGoalChunk } from './health.js';
import { chooseTrims } from './trim-choice.js';

export interface TrimmerDeps {
  state: MasterState;
  registry: ChunkserverRegistry;
  leases: Pick<LeaseManager, 'leaseHeld' | 'isBusy'>;
  /** True while a clone of the chunk (re-replication or a move) runs. */
  isCloning(handle: string): boolean;
  logger: Logger;
}

/** Takes a replica out of service now and has its server delete it at its next heartbeat. */
export function deleteReplica(registry: ChunkserverRegistry, handle: string, id: string): void {
  registry.removeLocation(handle, id);
  registry.scheduleDelete(id, handle);
}

export class ReplicaTrimmer {
  /** Replicas deleted for being above their chunk's goal since the master started. */
  trimmed = 0;
  /** Chunks above their goal at the last scan → the goal then. */
  private pending = new Map<string, number>();

  constructor(private readonly deps: TrimmerDeps) {}

  /** The over-goal chunks of the latest scan; they replace the previous ones (goals may have changed). */
  setCandidates(chunks: readonly OverGoalChunk[]): void {
    this.pending = new Map(chunks.map((chunk) => [chunk.handle, chunk.goal]));
  }

  isOverGoal(handle: string): boolean {
    return this.pending.has(handle);
  }

  /** Trims every pending chunk that may be trimmed now; leased or busy ones wait for a later tick. */
  trim(now: number): void {
    const { state, registry, leases, logger } = this.deps;
    for (const [handle, goal] of this.pending) {
      if (!state.chunks.has(handle)) {
        this.pending.delete(handle);
        continue;
      }
      if (leases.leaseHeld(handle) || leases.isBusy(handle) || this.deps.isCloning(handle)) continue;
      this.pending.delete(handle);
      const holders = registry.liveHolders(handle, now);
      for (const info of chooseTrims(holders, goal)) {
        deleteReplica(registry, handle, info.id);
        this.trimmed++;
        logger.info(
          `replica trimmed handle=${handle} server=${info.id} replicas=${holders.length}/${goal} use=${usePercent(info)}%`,
        );
      }
    }
  }
}

/** Disk use in percent, for logs. */
export function usePercent(info: ChunkserverInfo): string {
  return (100 * utilisation(info)).toFixed(1);
}
