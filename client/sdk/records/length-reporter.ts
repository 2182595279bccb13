// Tells the master how far a file's appended records reach, so readers see them (the file's
// length is what readers read up to). One `extend` in flight per file; reports that arrive
// meanwhile are merged into the next one, so many appends cost few master round trips.

import type { MasterApi } from '../master-api.js';
import { withRetries } from '../retry.js';

interface Waiter {
  endBytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class LengthReporter {
  /** The master's length of the file is known to be at least this. */
  private confirmedBytes = 0;
  private wantedBytes = 0;
  private running = false;
  private waiters: Waiter[] = [];

  constructor(
    private readonly master: MasterApi,
    private readonly path: string,
  ) {}

  /** Forgets the length known to the master (the file was created again). */
  reset(): void {
    this.confirmedBytes = 0;
  }

  /** Resolves once the master's length of the file is at least `endBytes`. */
  report(endBytes: number): Promise<void> {
    if (endBytes <= this.confirmedBytes) return Promise.resolve();
    this.wantedBytes = Math.max(this.wantedBytes, endBytes);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ endBytes, resolve, reject }));
    if (!this.running) void this.run();
    return done;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.wantedBytes > this.confirmedBytes) {
        const sending = this.wantedBytes;
        try {
          const { size } = await withRetries(() => this.master.extend(this.path, sending));
          this.confirmedBytes = Math.max(this.confirmedBytes, sending, size);
          this.settle(
            (waiter) => waiter.endBytes <= this.confirmedBytes,
            (waiter) => waiter.resolve(),
          );
        } catch (error) {
          this.settle(
            (waiter) => waiter.endBytes <= sending,
            (waiter) => waiter.reject(error),
          );
          this.wantedBytes = this.waiters.reduce(
            (most, waiter) => Math.max(most, waiter.endBytes),
            this.confirmedBytes,
          );
        }
      }
    } finally {
      this.running = false;
    }
  }

  private settle(matches: (waiter: Waiter) => boolean, finish: (waiter: Waiter) => void): void {
    const keep: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (matches(waiter)) finish(waiter);
      else keep.push(waiter);
    }
    this.waiters = keep;
  }
}
