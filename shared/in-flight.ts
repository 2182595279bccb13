// A bound on tasks running at once, for work discovered as it goes (a tree walked while its files
// are copied). After a task fails no further task starts, and the caller can wait for the ones
// still running before it cleans up after them: a failure never leaves a task writing into
// something already removed.

export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /**
   * Waits for a free slot, then starts `task` without waiting for it. False, and `task` not
   * started, once a task has failed.
   */
  async start(task: () => Promise<void>): Promise<boolean> {
    while (this.failure === undefined && this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure !== undefined) return false;
    const run: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return true;
  }

  /** Waits until no task runs. Never throws: see throwIfFailed. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }

  /** Throws the first task failure, if any. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** Runs `work` on every item, at most `limit` at a time; after a failure none starts, the running end, the first failure is thrown. */
  static async forEach<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
    const inFlight = new InFlight(limit);
    try {
      for (const item of items) if (!(await inFlight.start(() => work(item)))) break;
    } finally {
      await inFlight.idle();
    }
    inFlight.throwIfFailed();
  }
}
