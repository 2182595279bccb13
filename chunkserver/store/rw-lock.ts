// A per-chunk readers/writer lock: reads of a chunk run together, a write runs alone, so a read
// never sees new bytes with old checksums (which would look like corruption).

export class RwLock {
  private readers = 0;
  private writing = false;
  private readonly waiting: { write: boolean; wake: () => void }[] = [];

  async read<T>(action: () => Promise<T>): Promise<T> {
    if (this.writing || this.waiting.length > 0) await this.enqueue(false);
    else this.readers++;
    try {
      return await action();
    } finally {
      this.readers--;
      this.wakeNext();
    }
  }

  async write<T>(action: () => Promise<T>): Promise<T> {
    if (this.writing || this.readers > 0 || this.waiting.length > 0) await this.enqueue(true);
    else this.writing = true;
    try {
      return await action();
    } finally {
      this.writing = false;
      this.wakeNext();
    }
  }

  /** True when nobody holds or waits for the lock (the owner may forget it). */
  get idle(): boolean {
    return !this.writing && this.readers === 0 && this.waiting.length === 0;
  }

  private enqueue(write: boolean): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ write, wake: resolve }));
  }

  /** Grants the lock to the next waiter(s): one writer, or every reader at the head of the line. */
  private wakeNext(): void {
    if (this.writing) return;
    for (;;) {
      const next = this.waiting[0];
      if (next === undefined) return;
      if (next.write) {
        if (this.readers > 0) return;
        this.waiting.shift();
        this.writing = true;
        next.wake();
        return;
      }
      this.waiting.shift();
      this.readers++;
      next.wake();
    }
  }
}
