// The start-up wait of a fresh master (GFS's unlogged locations, seaweedfs's "warming up"): it
// hands out no locations or leases until every chunk in its table has at least one reported
// replica, or until startupWaitMs has passed. An empty table is ready at once. Once ready, stays.

export class StartupGate {
  private readonly unreported: Set<string>;
  private readonly startedMs: number;
  private ready = false;

  constructor(
    handles: Iterable<string>,
    private readonly clock: () => number,
    private readonly startupWaitMs: number,
  ) {
    this.unreported = new Set(handles);
    this.startedMs = clock();
    this.isReady();
  }

  /** A replica of the chunk was reported (or the chunk left the table). */
  reported(handle: string): void {
    if (!this.ready) this.unreported.delete(handle);
  }

  isReady(): boolean {
    if (this.ready) return true;
    if (this.unreported.size === 0 || this.clock() - this.startedMs >= this.startupWaitMs) {
      this.ready = true;
      this.unreported.clear();
    }
    return this.ready;
  }

  /** Chunks still without a reported replica (0 once ready). */
  get waitingFor(): number {
    return this.unreported.size;
  }
}
