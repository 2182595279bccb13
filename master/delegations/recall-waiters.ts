// The holders' recall long-polls (delegationRecallsRoute): each waits until one of its
// delegations is recalled, its wait runs out, its request goes away, or the master stops. Only
// wake-ups live here; what was recalled is asked of Delegations once a wait ends.

/** One long-poll: ends it (idempotent) and forgets it. */
type Ender = () => void;

export class RecallWaiters {
  private readonly waiting = new Map<string, Set<Ender>>();
  private closed = false;

  /**
   * Resolves when `holder` is woken, after `waitMs`, when `signal` aborts (the request closed) or
   * when the waiters are closed, whichever comes first. Nothing is left behind once it resolves.
   */
  wait(holder: string, waitMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted === true || waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let ended = false;
      const end: Ender = () => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', end);
        const set = this.waiting.get(holder);
        set?.delete(end);
        if (set?.size === 0) this.waiting.delete(holder);
        resolve();
      };
      // A long-poll must not keep a stopping process alive.
      const timer = setTimeout(end, waitMs);
      timer.unref();
      signal?.addEventListener('abort', end, { once: true });
      let set = this.waiting.get(holder);
      if (set === undefined) {
        set = new Set();
        this.waiting.set(holder, set);
      }
      set.add(end);
    });
  }

  /** Ends every wait of `holder`. */
  wake(holder: string): void {
    const set = this.waiting.get(holder);
    if (set === undefined) return;
    for (const end of [...set]) end();
  }

  /** Ends every wait, and every later one at once: the master is stopping. */
  close(): void {
    this.closed = true;
    for (const set of [...this.waiting.values()]) for (const end of [...set]) end();
  }

  /** Long-polls waiting now (tests, metrics). */
  get size(): number {
    let count = 0;
    for (const set of this.waiting.values()) count += set.size;
    return count;
  }
}
