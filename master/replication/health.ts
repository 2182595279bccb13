// The health scan: every chunk of every file (trashed ones too) against its replication goal and
// the live, up-to-date, uncorrupted replicas the registry knows. Pure apart from reading the
// registry's view at `now`; the repair scheduler, `gfs fsck` and `gfs status` all use it. O(chunks).
//
// The scan can run in slices (HealthScanner): at a million chunks a whole scan holds the event
// loop for seconds (5 s with every replica lost), which the repair scheduler's periodic rescans
// must not do to clients. Between slices the namespace may change: a Map iterator carries on over
// entries added and deleted meanwhile, and each chunk is judged as it stands when its slice runs.

import type { ChunkserverRegistry } from '../chunkservers/registry.js';
import type { MasterState } from '../state/types.js';
import { compareUrgency, type RepairUrgency, TopList } from './priority.js';

export interface ChunkCondition extends RepairUrgency {
  /** The first file holding the chunk (a live one when there is one) and the chunk's index there. */
  path: string;
  index: number;
  version: number;
  /** Servers whose replica was reported corrupt and is not yet replaced. */
  corruptIds: string[];
}

export interface HealthScan {
  /** Distinct chunks checked. */
  chunks: number;
  /** 0 < live < goal, most urgent first (at most `listMax`; `counts` are exact). */
  underReplicated: ChunkCondition[];
  /** No live good replica. */
  lost: ChunkCondition[];
  /** A replica reported corrupt is still waiting to be replaced. */
  corrupt: ChunkCondition[];
  counts: { underReplicated: number; lost: number; corrupt: number };
  /** Chunks whose corrupt replicas can go now: the chunk is whole again, or gone. */
  corruptResolved: string[];
  /** live > goal (a server came back after its chunks were re-replicated): the trimmer's work. */
  overGoal: OverGoalChunk[];
}

export interface OverGoalChunk {
  handle: string;
  goal: number;
}

interface Holding {
  path: string;
  index: number;
  goal: number;
  trashed: boolean;
}

export interface ScanOptions {
  now: number;
  isTrashed: (path: string) => boolean;
  /** Chunks with a grant in flight: a new one has no location until its allocation ends. */
  isBusy: (handle: string) => boolean;
  /** Longest list kept per category (the most urgent); counts stay exact. */
  listMax: number;
  /** Longest over-goal list kept (the first found); none unless given. */
  overGoalMax?: number;
}

/** Entries and chunks looked at per slice of a sliced scan: tens of milliseconds of the event loop. */
export const HEALTH_SCAN_SLICE_WORK = 20_000;

/** The whole scan at once (fsck; small clusters). */
export function scanHealth(state: MasterState, registry: ChunkserverRegistry, options: ScanOptions): HealthScan {
  const scanner = new HealthScanner(state, registry, options, Number.POSITIVE_INFINITY);
  while (!scanner.step()) {
    // One step does it all with an unbounded slice.
  }
  return scanner.result as HealthScan;
}

/** A scan run a slice at a time: step() until it returns true, then read `result`. */
export class HealthScanner {
  result: HealthScan | undefined;
  private readonly steps: Generator<void, HealthScan>;

  constructor(state: MasterState, registry: ChunkserverRegistry, options: ScanOptions, sliceWork: number) {
    this.steps = scanSlices(state, registry, options, sliceWork);
  }

  /** Runs the next slice; true once the scan is complete. */
  step(): boolean {
    if (this.result !== undefined) return true;
    const next = this.steps.next();
    if (next.done === true) this.result = next.value;
    return this.result !== undefined;
  }
}

function* scanSlices(
  state: MasterState,
  registry: ChunkserverRegistry,
  options: ScanOptions,
  sliceWork: number,
): Generator<void, HealthScan> {
  const { now, isTrashed, isBusy, listMax } = options;
  const overGoalMax = options.overGoalMax ?? 0;
  const overGoal: OverGoalChunk[] = [];
  const underReplicated = new TopList<ChunkCondition>(listMax, compareUrgency);
  const lost = new TopList<ChunkCondition>(listMax, compareUrgency);
  const corrupt = new TopList<ChunkCondition>(listMax, compareUrgency);
  const corruptResolved: string[] = [];
  let chunks = 0;

  const judge = (handle: string, holding: Holding): void => {
    const meta = state.chunks.get(handle);
    if (meta === undefined) return;
    chunks++;
    const live = registry.liveHolderCount(handle, now);
    const corruptHolders = registry.corrupt.holders(handle);
    if (live > holding.goal && overGoal.length < overGoalMax) overGoal.push({ handle, goal: holding.goal });
    if (live >= holding.goal && corruptHolders.size === 0) return;
    // Being allocated (logged, its locations not yet recorded): not lost, just not done.
    if (live === 0 && isBusy(handle)) return;
    const corruptIds = [...corruptHolders];
    const condition: ChunkCondition = { handle, version: meta.version, live, corruptIds, ...holding };
    if (live === 0) lost.push(condition);
    else if (live < holding.goal) underReplicated.push(condition);
    if (corruptIds.length === 0) return;
    if (live >= holding.goal) corruptResolved.push(handle);
    else corrupt.push(condition);
  };

  // Shared chunks (snapshots: refcount > 1) are judged once all their files are known, with the
  // highest goal among them; every other chunk at once, without keeping anything per chunk.
  const shared = new Map<string, Holding>();
  // Work done so far (entries and chunks looked at), and where this slice ends.
  let work = 0;
  let sliceEndsAt = sliceWork;
  for (const [path, entry] of state.entries) {
    if (++work >= sliceEndsAt) {
      yield;
      sliceEndsAt = work + sliceWork;
    }
    if (entry.type !== 'file') continue;
    work += entry.chunks.length;
    const trashed = isTrashed(path);
    for (const [index, handle] of entry.chunks.entries()) {
      const holding: Holding = { path, index, goal: entry.replication, trashed };
      if ((state.chunks.get(handle)?.refcount ?? 1) <= 1) {
        judge(handle, holding);
        continue;
      }
      const known = shared.get(handle);
      if (known === undefined) shared.set(handle, holding);
      else {
        known.goal = Math.max(known.goal, holding.goal);
        if (known.trashed && !trashed) Object.assign(known, { path, index, trashed: false });
      }
    }
  }
  for (const [handle, holding] of shared) {
    if (++work >= sliceEndsAt) {
      yield;
      sliceEndsAt = work + sliceWork;
    }
    judge(handle, holding);
  }
  // Corrupt replicas of chunks no file holds any more (a chunk in the table has a file).
  for (const handle of registry.corrupt.handles()) if (!state.chunks.has(handle)) corruptResolved.push(handle);

  return {
    chunks,
    underReplicated: underReplicated.sorted(),
    lost: lost.sorted(),
    corrupt: corrupt.sorted(),
    counts: { underReplicated: underReplicated.total, lost: lost.total, corrupt: corrupt.total },
    corruptResolved,
    overGoal,
  };
}
