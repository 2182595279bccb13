// Replicas reported corrupt (a block failed its CRC32C), kept out of service but not deleted until
// the chunk has its full count of good replicas again: GFS §5.2 deletes the bad replica after the
// clone that replaces it, so a chunk whose every replica went bad keeps them for manual recovery.
// `gfs fsck` lists these chunks as corrupt until then.

import { CORRUPT_REPLICAS_MAX } from '../../shared/limits.js';

/** What holders() answers for the (usual) chunk without corrupt replicas: one set, never a new one per call. */
const NONE: ReadonlySet<string> = new Set();

export class CorruptReplicas {
  /** handle → ids of the servers whose replica of it is corrupt. */
  private readonly byHandle = new Map<string, Set<string>>();
  private count = 0;

  constructor(private readonly replicasMax = CORRUPT_REPLICAS_MAX) {}

  /** Remembers a corrupt replica; false when the table is full (the caller deletes it at once). */
  mark(handle: string, id: string): boolean {
    let ids = this.byHandle.get(handle);
    if (ids?.has(id)) return true;
    if (this.count >= this.replicasMax) return false;
    if (ids === undefined) {
      ids = new Set();
      this.byHandle.set(handle, ids);
    }
    ids.add(id);
    this.count++;
    return true;
  }

  has(handle: string, id: string): boolean {
    return this.byHandle.get(handle)?.has(id) === true;
  }

  holders(handle: string): ReadonlySet<string> {
    return this.byHandle.get(handle) ?? NONE;
  }

  handles(): IterableIterator<string> {
    return this.byHandle.keys();
  }

  /** Forgets the chunk's corrupt replicas; returns the ids that held them (to delete them). */
  take(handle: string): string[] {
    const ids = this.byHandle.get(handle);
    if (ids === undefined) return [];
    this.byHandle.delete(handle);
    this.count -= ids.size;
    return [...ids];
  }

  /** Forgets one replica (its server deleted it or lost it). */
  forget(handle: string, id: string): void {
    const ids = this.byHandle.get(handle);
    if (ids === undefined || !ids.delete(id)) return;
    this.count--;
    if (ids.size === 0) this.byHandle.delete(handle);
  }

  get size(): number {
    return this.count;
  }
}
