// The mutations a primary has ordered (taken a serial for) and not yet seen end on every replica,
// per chunk. A revoked lease (a snapshot's first step) waits for them, so what was ordered under
// the lease lands before the snapshot is taken instead of after it.

export class OrderedMutations {
  private readonly running = new Map<string, Set<Promise<void>>>();

  /** Follows `work` (a mutation that holds a serial) until it settles; returns it unchanged. */
  track<T>(handle: string, work: Promise<T>): Promise<T> {
    let running = this.running.get(handle);
    if (running === undefined) {
      running = new Set();
      this.running.set(handle, running);
    }
    const set = running;
    const settled: Promise<void> = work.then(
      () => this.forget(handle, set, settled),
      () => this.forget(handle, set, settled),
    );
    set.add(settled);
    return work;
  }

  /** Mutations of the chunk still running (tests, diagnostics). */
  count(handle: string): number {
    return this.running.get(handle)?.size ?? 0;
  }

  /**
   * Resolves true once every mutation of the chunk ordered so far has ended, or false after
   * `waitMsMax` (mutations ordered later are not waited for: the caller stopped new ones first).
   */
  async drained(handle: string, waitMsMax: number): Promise<boolean> {
    const running = this.running.get(handle);
    if (running === undefined || running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMsMax);
    });
    try {
      return await Promise.race([Promise.all([...running]).then(() => true), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private forget(handle: string, set: Set<Promise<void>>, settled: Promise<void>): void {
    set.delete(settled);
    if (set.size === 0 && this.running.get(handle) === set) this.running.delete(handle);
  }
}
