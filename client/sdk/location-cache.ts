// The client's cache of chunk locations (GFS §2.4: clients cache and prefetch locations so they
// rarely talk to the master). Bounded in entries and in age; grouped by file so that a file that is
// overwritten, renamed or deleted is forgotten in one step. Least recently used files go first.

import { isSameOrBelow } from '../../shared/paths.js';

export interface CachedChunk {
  /** Undefined for a hole: a chunk inside the file that was never written (reads as zeros). */
  handle: string | undefined;
  version: number;
  replicas: readonly string[];
  /** The read token the master handed out with the location (none from an --insecure master). */
  token?: string | undefined;
  fetchedAtMs: number;
}

interface FileEntry {
  chunks: Map<number, CachedChunk>;
}

export interface LocationCacheOptions {
  entriesMax: number;
  ttlMs: number;
  now?: () => number;
}

export class LocationCache {
  private readonly files = new Map<string, FileEntry>();
  private entries = 0;
  private readonly entriesMax: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: LocationCacheOptions) {
    this.entriesMax = options.entriesMax;
    this.ttlMs = options.ttlMs;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries;
  }

  get(path: string, index: number): CachedChunk | undefined {
    const file = this.files.get(path);
    const chunk = file?.chunks.get(index);
    if (file === undefined || chunk === undefined) return undefined;
    if (this.now() - chunk.fetchedAtMs >= this.ttlMs) {
      this.invalidate(path, index);
      return undefined;
    }
    // Refresh the file's recency: Map keeps insertion order, so re-inserting moves it last.
    this.files.delete(path);
    this.files.set(path, file);
    return chunk;
  }

  set(path: string, index: number, chunk: Omit<CachedChunk, 'fetchedAtMs'>): void {
    let file = this.files.get(path);
    if (file === undefined) {
      file = { chunks: new Map() };
    } else {
      this.files.delete(path);
    }
    this.files.set(path, file);
    if (!file.chunks.has(index)) this.entries++;
    file.chunks.set(index, { ...chunk, fetchedAtMs: this.now() });
    this.evict(path);
  }

  /** Forgets one chunk (after any error from one of its replicas). */
  invalidate(path: string, index: number): void {
    const file = this.files.get(path);
    if (file?.chunks.delete(index)) {
      this.entries--;
      if (file.chunks.size === 0) this.files.delete(path);
    }
  }

  /** Forgets a file, or with `below` every file at or under a directory path. */
  invalidatePath(path: string, below = false): void {
    if (!below) {
      this.dropFile(path);
      return;
    }
    for (const cached of [...this.files.keys()]) {
      if (isSameOrBelow(cached, path)) this.dropFile(cached);
    }
  }

  clear(): void {
    this.files.clear();
    this.entries = 0;
  }

  private dropFile(path: string): void {
    const file = this.files.get(path);
    if (file === undefined) return;
    this.entries -= file.chunks.size;
    this.files.delete(path);
  }

  /** Drops least recently used files (then the oldest chunks of `keep`) until within the bound. */
  private evict(keep: string): void {
    for (const [path, file] of this.files) {
      if (this.entries <= this.entriesMax) return;
      if (path === keep) continue;
      this.entries -= file.chunks.size;
      this.files.delete(path);
    }
    const kept = this.files.get(keep);
    if (kept === undefined) return;
    for (const index of kept.chunks.keys()) {
      if (this.entries <= this.entriesMax) return;
      kept.chunks.delete(index);
      this.entries--;
    }
  }
}
