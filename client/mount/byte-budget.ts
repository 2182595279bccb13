// The mount-wide bound on file data held in memory. Writers `acquire` (waiting, first come first
// served, while the budget is spent); read-ahead only `tryAcquire`s, because reading ahead is an
// optimisation and must never hold a writer back.

import { assert } from '../../shared/assert.js';

export class ByteBudget {
  private usedBytes = 0;
  private readonly waiters: { bytes: number; resolve: () => void }[] = [];

  constructor(readonly bytesMax: number) {}

  get used(): number {
    return this.usedBytes;
  }

  tryAcquire(bytes: number): boolean {
    if (this.waiters.length > 0 || !this.fits(bytes)) return false;
    this.usedBytes += bytes;
    return true;
  }

  /** Resolves once `bytes` are reserved. A request larger than the whole budget waits for it all. */
  acquire(bytes: number): Promise<void> {
    if (this.tryAcquire(bytes)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ bytes, resolve }));
  }

  release(bytes: number): void {
    assert(bytes <= this.usedBytes, 'released no more than was acquired');
    this.usedBytes -= bytes;
    for (;;) {
      const next = this.waiters[0];
      if (next === undefined || !this.fits(next.bytes)) return;
      this.waiters.shift();
      this.usedBytes += next.bytes;
      next.resolve();
    }
  }

  private fits(bytes: number): boolean {
    // An oversized request is let through on an empty budget rather than waiting forever.
    return this.usedBytes + bytes <= this.bytesMax || this.usedBytes === 0;
  }
}
