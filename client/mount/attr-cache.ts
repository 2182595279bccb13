// The mount's short-lived attribute cache: entries the master told us about (a listing, a stat,
// the answer to our own create) kept for a moment, so a lookup right after a readdir costs no
// round trip. Only positive answers are kept: a name another mount just created is never hidden.

import type { Entry } from '../../shared/protocol/namespace.js';

interface Cached {
  entry: Entry;
  fetchedAtMs: number;
}

export class AttrCache {
  private readonly entries = new Map<string, Cached>();

  constructor(
    private readonly ttlMs: number,
    private readonly entriesMax: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(path: string): Entry | undefined {
    const cached = this.entries.get(path);
    if (cached === undefined) return undefined;
    if (this.now() - cached.fetchedAtMs > this.ttlMs) {
      this.entries.delete(path);
      return undefined;
    }
    return cached.entry;
  }

  set(path: string, entry: Entry): void {
    // Re-inserting moves the path to the young end, so the oldest are dropped first.
    this.entries.delete(path);
    this.entries.set(path, { entry, fetchedAtMs: this.now() });
    if (this.entries.size > this.entriesMax) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(path: string): void {
    this.entries.delete(path);
  }

  /** Forgets `path` and everything below it (a directory renamed or removed). */
  deleteTree(path: string): void {
    this.entries.delete(path);
    const below = path === '/' ? '/' : `${path}/`;
    for (const key of this.entries.keys()) if (key.startsWith(below)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
