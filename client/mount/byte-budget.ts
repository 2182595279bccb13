// The mount-wide bound on file data held in memory. Writers `acquire` (waiting, first come first
// served, while the budget is spent); read caches only `tryAcquire`, because reading ahead and
// keeping what was read are optimisations and must never hold a writer back: a writer short of
// room takes memory back from the caches (`reclaim`) before it sends its own bytes or waits.

import { assert } from '../../shared/assert.js';

/** Memory that may be given back on demand: cached reads. */
export interface Reclaimable {
  /**
   * Drops cached data, least recently used first, until about `bytes` are dropped or nothing is
   * left; data still arriving gives its bytes back when it lands. Answers the bytes dropped.
   */
  reclaim(bytes: number): number;
}

export class ByteBudget {
  private usedBytes = 0;
  private readonly waiters: { bytes: number; resolve: () => void }[] = [];
  /** Holders of reclaimable memory, the longest-registered first. */
  private readonly reclaimables = new Set<Reclaimable>();

  constructor(readonly bytesMax: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Reserves `bytes` now if they fit; with `reclaim`, caches give memory back first when they do not. */
  tryAcquire(bytes: number, reclaim = false): boolean {
    if (this.waiters.length > 0) return false;
    if (!this.fits(bytes) && reclaim) this.reclaim(bytes);
    if (!this.fits(bytes)) return false;
    this.usedBytes += bytes;
    return true;
  }

  /** Resolves once `bytes` are reserved (taking memory back from caches). A request larger than the whole budget waits for it all. */
  acquire(bytes: number): Promise<void> {
    if (this.tryAcquire(bytes, true)) return Promise.resolve();
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

  /** A holder of reclaimable memory starts (or stops) holding some. */
  holding(holder: Reclaimable, holds: boolean): void {
    if (holds) this.reclaimables.add(holder);
    else this.reclaimables.delete(holder);
  }

  /** Takes back from the caches what `bytes` more need beyond what is free. */
  private reclaim(bytes: number): void {
    let missingBytes = this.usedBytes + bytes - this.bytesMax;
    for (const holder of [...this.reclaimables]) {
      if (missingBytes <= 0) return;
      missingBytes -= holder.reclaim(missingBytes);
    }
  }

  private fits(bytes: number): boolean {
    // An oversized request is let through on an empty budget rather than waiting forever.
    return this.usedBytes + bytes <= this.bytesMax || this.usedBytes === 0;
  }
}
