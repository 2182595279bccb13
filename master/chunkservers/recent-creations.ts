// New replicas placed on each chunkserver lately (new chunks and clones). GFS §4.2: a creation
// predicts heavy writes to that server soon, so placement prefers servers with few recent ones,
// which keeps a freshly added, empty chunkserver from being handed every new chunk at once.

import { RECENT_CREATIONS_PER_SERVER_MAX, RECENT_CREATIONS_WINDOW_MS } from '../../shared/limits.js';

export class RecentCreations {
  /** id → times of its recent creations, oldest first; never more than perServerMax + 1 kept. */
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly clock: () => number,
    readonly perServerMax = RECENT_CREATIONS_PER_SERVER_MAX,
    private readonly windowMs = RECENT_CREATIONS_WINDOW_MS,
  ) {}

  record(id: string): void {
    let times = this.times.get(id);
    if (times === undefined) {
      times = [];
      this.times.set(id, times);
    }
    times.push(this.clock());
    // Counting past the limit tells placement nothing more; the bound keeps memory flat.
    if (times.length > this.perServerMax + 1) times.shift();
  }

  count(id: string): number {
    const times = this.times.get(id);
    if (times === undefined) return 0;
    const since = this.clock() - this.windowMs;
    while (times.length > 0 && (times[0] as number) <= since) times.shift();
    if (times.length === 0) this.times.delete(id);
    return times.length;
  }

  isOverLimit(id: string): boolean {
    return this.count(id) >= this.perServerMax;
  }

  /** Forgets servers that left the registry (their ids never come back with these counts). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.times.keys()) if (!ids.has(id)) this.times.delete(id);
  }
}
