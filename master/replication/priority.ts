// The order in which under-replicated chunks are repaired (GFS §4.3): farthest below their
// replication goal first; among those, chunks of live files before chunks only trashed files hold;
// then fewest live replicas (closest to being lost); then handle order, so the order is stable.

export interface RepairUrgency {
  handle: string;
  /** Replication goal: the highest of the files that hold the chunk. */
  goal: number;
  /** Live, up-to-date, uncorrupted replicas. */
  live: number;
  /** True when only trashed files hold the chunk. */
  trashed: boolean;
}

/** Replicas the chunk lacks; the first key of the order. */
export function missingOf(chunk: RepairUrgency): number {
  return chunk.goal - chunk.live;
}

/** Negative when `a` is more urgent than `b`. */
export function compareUrgency(a: RepairUrgency, b: RepairUrgency): number {
  return (
    missingOf(b) - missingOf(a) ||
    Number(a.trashed) - Number(b.trashed) ||
    a.live - b.live ||
    compareHandles(a.handle, b.handle)
  );
}

/** Decimal handles in numeric order (shorter is smaller; no leading zeros). */
export function compareHandles(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The `max` smallest items under `compare`, in order, in bounded memory: items are kept until
 * there are twice as many, then sorted and cut (amortised O(n log max) for n pushes).
 */
export class TopList<T> {
  private items: T[] = [];
  /** Items pushed in all, kept or not. */
  total = 0;

  constructor(
    private readonly max: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  push(item: T): void {
    this.total++;
    this.items.push(item);
    if (this.items.length >= 2 * this.max) this.cut();
  }

  /** The kept items, most urgent first. */
  sorted(): T[] {
    this.cut();
    return this.items;
  }

  private cut(): void {
    this.items.sort(this.compare);
    if (this.items.length > this.max) this.items.length = this.max;
  }
}
