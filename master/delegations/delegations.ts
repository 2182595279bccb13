// Which directories are delegated to which client (shared/protocol/delegations.ts), as the routes
// see it: the durable table (MasterState.delegations) read against the master's clock, the
// recalls made in this process, and the conflict check every path-taking client route runs first.
//
// A request of anyone but the holder that touches a live delegation's directory is refused with
// DELEGATED and recalls it: the holder may be answering lookups and creates there from memory, and
// close-to-open wants the caller to see what the holder closed. What "touches" means:
//   near(p): the delegated directory is p itself or p's parent: p's entry, or a name in it.
//   subtree(p): near(p), or the delegated directory lies below p (renames, deletes and snapshots
//   of a tree take everything in it with them).
// Recalls are not logged: after a restart the next conflicting request recalls again. A recalled
// delegation is renewed only until DELEGATION_RECALL_MS_MAX after its recall (renewedExpiryMs caps
// the logged expiry there), so a holder that never returns it blocks others for that long at most,
// across restarts too. One returned after a recall is not granted again for a few seconds
// (REGRANT_AFTER_RECALL_MS), so the clients it was recalled for are not recalled out again.

import { GfsError } from '../../shared/errors.js';
import { DELEGATION_RECALL_MS_MAX, DELEGATION_TERM_MS } from '../../shared/limits.js';

/** How long before a master's start a delegation may have lapsed and still get the grace. */
export const DELEGATION_GRACE_LOOKBACK_MS = 60 * 60_000;

import { isSameOrBelow, parentPath } from '../../shared/paths.js';
import type { Delegation, MasterState } from '../state/types.js';
import { RecallWaiters } from './recall-waiters.js';

/** The paths a request touches, by how far (see the header). */
export interface Reach {
  near?: readonly string[];
  subtree?: readonly string[];
}

/**
 * A directory whose delegation came back after a recall is not granted again for this long, so
 * the clients it was recalled for get in first: they retry within the SDK's longest back-off
 * (client/sdk/retry.ts, 2 s). Without it a busy holder takes it again at its next create, and a
 * reader can be recalled out again and again until its patience runs out.
 */
export const REGRANT_AFTER_RECALL_MS = 5_000;

export class Delegations {
  /** Recalls made by this process (a metric). */
  recallsTotal = 0;
  readonly waiters = new RecallWaiters();
  /** Directory → when its delegation was recalled (master clock, ms). */
  private readonly recalls = new Map<string, number>();
  /** Directory → until when it is not granted again (returned after a recall). */
  private readonly regrantAt = new Map<string, number>();

  /** Until when the delegations recovered at start count as live whatever their expiry (the grace). */
  private readonly graceEndsMs: number;
  /** Delegations recovered at start that get the grace: path → their expiry then. */
  private readonly recovered = new Map<string, number>();

  constructor(
    private readonly state: Pick<MasterState, 'delegations'>,
    private readonly clock: () => number,
  ) {
    // NFSv4's grace period: a delegation that lapsed while the master was down (its holder could
    // not renew) is live for one more term after the start, so the holder can renew it before
    // anyone else looks into a directory where it may still hold closed files not sent. Only
    // delegations that were live within DELEGATION_GRACE_LOOKBACK_MS of the start get it: an old
    // one's holder is long gone and would only stall its directory.
    const startMs = clock();
    this.graceEndsMs = startMs + DELEGATION_TERM_MS;
    for (const [path, delegation] of state.delegations) {
      if (delegation.expiresAtMs > startMs - DELEGATION_GRACE_LOOKBACK_MS)
        this.recovered.set(path, delegation.expiresAtMs);
    }
  }

  /** The delegation of `path` when one is live at `nowMs` (expired ones count for nothing). */
  live(path: string, nowMs = this.clock()): Delegation | undefined {
    const delegation = this.state.delegations.get(path);
    if (delegation === undefined) return undefined;
    if (nowMs < delegation.expiresAtMs) return delegation;
    // In the grace, as recovered: not renewed, returned or granted anew since the start.
    const inGrace = nowMs < this.graceEndsMs && this.recovered.get(path) === delegation.expiresAtMs;
    return inGrace ? delegation : undefined;
  }

  /** When the live delegation of `path` was recalled; undefined when it is not (or not live). */
  recalledAtMs(path: string, nowMs = this.clock()): number | undefined {
    return this.live(path, nowMs) === undefined ? undefined : this.recalls.get(path);
  }

  /** How many delegations are live now. O(delegations): for a scrape, not for requests. */
  liveCount(nowMs = this.clock()): number {
    let count = 0;
    for (const path of this.state.delegations.keys()) if (this.live(path, nowMs) !== undefined) count++;
    return count;
  }

  /** The holder's live delegations that are recalled. */
  recalledOf(holder: string, nowMs = this.clock()): string[] {
    const paths: string[] = [];
    for (const path of this.recalls.keys()) {
      if (this.live(path, nowMs)?.holder === holder) paths.push(path);
    }
    return paths.sort();
  }

  /** The expiry a grant or renewal of `path` gets now: a term, but never past a recall's bound. */
  renewedExpiryMs(path: string, nowMs = this.clock()): number {
    const recalledAtMs = this.recalledAtMs(path, nowMs);
    const termEndMs = nowMs + DELEGATION_TERM_MS;
    return recalledAtMs === undefined ? termEndMs : Math.min(termEndMs, recalledAtMs + DELEGATION_RECALL_MS_MAX);
  }

  /** A new grant of `path`: an earlier recall no longer applies to it. */
  forgetRecall(path: string): void {
    this.recalls.delete(path);
  }

  /** Its holder gave `path` back; when it had been recalled, it is not granted again for a while. */
  returned(path: string, nowMs = this.clock()): void {
    const recalled = this.recalls.delete(path);
    for (const [stale, untilMs] of this.regrantAt) if (untilMs <= nowMs) this.regrantAt.delete(stale);
    if (recalled) this.regrantAt.set(path, nowMs + REGRANT_AFTER_RECALL_MS);
  }

  /** Whether `path` may be granted now as far as recalls go (none pending, none just returned). */
  mayGrant(path: string, nowMs = this.clock()): boolean {
    return this.recalledAtMs(path, nowMs) === undefined && (this.regrantAt.get(path) ?? 0) <= nowMs;
  }

  /**
   * Refuses the request of `requester` (its holder id; undefined: not a holder) with DELEGATED
   * when it touches a live delegation someone else holds, after recalling every such delegation.
   */
  require(requester: string | undefined, reach: Reach): void {
    // Nearly always: nothing is delegated, and a request pays one size check.
    if (this.state.delegations.size === 0) return;
    const nowMs = this.clock();
    const conflicts = new Set<string>();
    const consider = (path: string) => {
      const delegation = this.live(path, nowMs);
      if (delegation !== undefined && delegation.holder !== requester) conflicts.add(path);
    };
    for (const path of [...(reach.near ?? []), ...(reach.subtree ?? [])]) {
      consider(path);
      consider(parentPath(path));
    }
    if (reach.subtree !== undefined && reach.subtree.length > 0) {
      for (const delegated of this.state.delegations.keys()) {
        if (reach.subtree.some((path) => isSameOrBelow(delegated, path))) consider(delegated);
      }
    }
    if (conflicts.size === 0) return;
    for (const path of conflicts) this.recall(path, nowMs);
    const [first] = conflicts;
    throw new GfsError('DELEGATED', 'directory is delegated to another client; recalled, retry', first);
  }

  /**
   * The holder's recalled delegations: at once when there are some, else once one is recalled or
   * `waitMs` passes (then none), or `signal` aborts, or the master stops.
   */
  async recallsFor(holder: string, waitMs: number, signal?: AbortSignal): Promise<string[]> {
    const now = this.recalledOf(holder);
    if (now.length > 0) return now;
    await this.waiters.wait(holder, waitMs, signal);
    return this.recalledOf(holder);
  }

  /** Ends every long-poll: the master is stopping. */
  close(): void {
    this.waiters.close();
  }

  private recall(path: string, nowMs: number): void {
    const delegation = this.live(path, nowMs);
    if (delegation === undefined || this.recalls.has(path)) return;
    // Recalls of delegations since gone (deleted, expired) are dropped here, so the table stays
    // as small as the recalls pending.
    for (const stale of [...this.recalls.keys()]) if (this.live(stale, nowMs) === undefined) this.recalls.delete(stale);
    this.recalls.set(path, nowMs);
    this.recallsTotal++;
    this.waiters.wake(delegation.holder);
  }
}
