// A small bounded cache of open file handles, so the data path does not open and close a file
// per request. Handles in use are reference-counted and never closed under a caller; the cache
// may exceed its bound only while more files than that are in use at once.

import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

interface Entry {
  handle: Promise<FileHandle>;
  users: number;
  /** Set when the entry was dropped while in use: the last user closes it. */
  evicted: boolean;
}

export const OPEN_FILES_MAX = 64;

export class FileCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly openFilesMax = OPEN_FILES_MAX) {}

  /** Runs `action` with the file at `path` open read-write (created if missing). */
  async with<T>(path: string, action: (file: FileHandle) => Promise<T>): Promise<T> {
    const entry = this.acquire(path);
    try {
      return await action(await this.opened(path, entry));
    } finally {
      await this.release(entry);
    }
  }

  /**
   * `with` for two files at once (a chunk's data and checksums): both are opened together, one
   * round through the thread pool instead of two in a row.
   */
  async withBoth<T>(first: string, second: string, action: (a: FileHandle, b: FileHandle) => Promise<T>): Promise<T> {
    const entries = [this.acquire(first), this.acquire(second)] as const;
    try {
      const [a, b] = await Promise.allSettled([this.opened(first, entries[0]), this.opened(second, entries[1])]);
      if (a.status === 'rejected') throw a.reason;
      if (b.status === 'rejected') throw b.reason;
      return await action(a.value, b.value);
    } finally {
      await Promise.all(entries.map((entry) => this.release(entry)));
    }
  }

  /** The entry of `path` (opening it when missing), counted as in use. */
  private acquire(path: string): Entry {
    let entry = this.entries.get(path);
    if (entry === undefined) {
      // Read-write, created when missing, never O_APPEND (positional writes must land where asked).
      entry = { handle: open(path, constants.O_RDWR | constants.O_CREAT, 0o644), users: 0, evicted: false };
      this.entries.set(path, entry);
      this.evictIdle();
    } else {
      // Map order is the LRU order: move to the back.
      this.entries.delete(path);
      this.entries.set(path, entry);
    }
    entry.users++;
    return entry;
  }

  private async opened(path: string, entry: Entry): Promise<FileHandle> {
    try {
      return await entry.handle;
    } catch (error) {
      // Do not cache a failed open: the next caller tries again.
      if (this.entries.get(path) === entry) this.entries.delete(path);
      throw error;
    }
  }

  private async release(entry: Entry): Promise<void> {
    entry.users--;
    if (entry.evicted && entry.users === 0) await closeQuietly(entry);
  }

  /** Closes and forgets the file at `path` (before it is deleted or renamed). */
  async drop(path: string): Promise<void> {
    const entry = this.entries.get(path);
    if (entry === undefined) return;
    this.entries.delete(path);
    entry.evicted = true;
    if (entry.users === 0) await closeQuietly(entry);
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const entry of all) entry.evicted = true;
    await Promise.all(all.filter((entry) => entry.users === 0).map(closeQuietly));
  }

  private evictIdle(): void {
    for (const [path, entry] of this.entries) {
      if (this.entries.size <= this.openFilesMax) return;
      if (entry.users > 0) continue;
      this.entries.delete(path);
      entry.evicted = true;
      void closeQuietly(entry);
    }
  }
}

async function closeQuietly(entry: Entry): Promise<void> {
  try {
    await (await entry.handle).close();
  } catch {
    // A handle that failed to open, or is already closed, has nothing to release.
  }
}
