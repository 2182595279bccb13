// The start-up wait of a fresh master (GFS's unlogged locations, seaweedfs's "warming up"): it
// hands out no locations or leases until every chunk in its table has at least one reported
// replica, or until startupWaitMs has passed. An empty table is ready at once. Once ready, stays.
// It remembers the chunks reported so far, not the ones still missing: copying a table of a
// million handles into a set would cost the restart a second before the first request is served.

/** What the gate needs of the chunk table. */
export interface ChunkTableView {
  has(handle: string): boolean;
  readonly size: number;
}

export class StartupGate {
  /** Handles in the table with a reported replica (emptied once ready). */
  private readonly reportedHandles = new Set<string>();
  private readonly startedMs: number;
  private ready = false;

  constructor(
    private readonly table: ChunkTableView,
    private readonly clock: () => number,
    private readonly startupWaitMs: number,
  ) {
    this.startedMs = clock();
    this.isReady();
  }

  /** A replica of the chunk was reported, or the chunk left the table. */
  reported(handle: string): void {
    if (this.ready) return;
    if (this.table.has(handle)) this.reportedHandles.add(handle);
    else this.reportedHandles.delete(handle);
  }

  isReady(): boolean {
    if (this.ready) return true;
    if (this.reportedHandles.size >= this.table.size || this.clock() - this.startedMs >= this.startupWaitMs) {
      this.ready = true;
      this.reportedHandles.clear();
    }
    return this.ready;
  }

  /** Chunks still without a reported replica (0 once ready). */
  get waitingFor(): number {
    return this.ready ? 0 : this.table.size - this.reportedHandles.size;
  }
}
