// The mount's table of open files: descriptor → (file, how it was opened), path → file (one
// OpenFile per path, shared by its descriptors), and the closed files whose writes no fsync has
// reached yet (so `sync FILE` after `cp` still makes them durable). Renames move all three.

import { isSameOrBelow } from '../../shared/paths.js';
import type { GfsFileHandle } from '../sdk/file-handle.js';
import { errnoError } from './errno.js';
import { LOCAL_FD_BASE } from './limits.js';
import type { OpenFile } from './open-file.js';

export interface Descriptor {
  file: OpenFile;
  /** O_APPEND: every write goes to the end of the file, wherever the kernel says. */
  append: boolean;
}

export class OpenFiles {
  private readonly descriptors = new Map<number, Descriptor>();
  private readonly files = new Map<string, OpenFile>();
  /** Path → handles of closed files with writes not yet fsynced, least recently closed first. */
  private readonly unsynced = new Map<string, GfsFileHandle[]>();
  private nextFd = 1;

  constructor(
    private readonly descriptorsMax: number,
    private readonly unsyncedMax: number,
  ) {}

  file(path: string): OpenFile | undefined {
    return this.files.get(path);
  }

  descriptor(fd: number): Descriptor {
    const descriptor = this.descriptors.get(fd);
    if (descriptor === undefined) throw errnoError('EBADF', `no open file ${fd}`);
    return descriptor;
  }

  /** Every open file, for the flush before an unmount. */
  all(): OpenFile[] {
    return [...this.files.values()];
  }

  /** Open files at `path` or below it (a directory being renamed). */
  under(path: string): OpenFile[] {
    return [...this.files.values()].filter((file) => isSameOrBelow(file.path, path));
  }

  /**
   * The open file of `path`, made with `create` when there is none. It is registered at once, so
   * concurrent opens of one path share it even while the first is still asking the master.
   */
  claim(path: string, create: () => OpenFile): OpenFile {
    const known = this.files.get(path);
    if (known !== undefined) return known;
    if (this.descriptors.size >= this.descriptorsMax) throw errnoError('ENFILE', 'too many open files in the mount');
    const file = create();
    this.files.set(path, file);
    const earlier = this.unsynced.get(path);
    if (earlier !== undefined) {
      this.unsynced.delete(path);
      file.adopt(earlier);
    }
    return file;
  }

  /** An open that failed: its file goes again unless some descriptor holds it. */
  abandon(file: OpenFile): void {
    if (file.openCount === 0 && this.files.get(file.path) === file) this.files.delete(file.path);
  }

  /** Registers a new descriptor on a claimed file and returns its number. */
  add(file: OpenFile, append: boolean): number {
    if (this.descriptors.size >= this.descriptorsMax) throw errnoError('ENFILE', 'too many open files in the mount');
    // fuse-native treats 0 as "no handle"; numbers wrap below the write-back's (LOCAL_FD_BASE)
    // and skip those in use.
    let fd = this.nextFd;
    while (fd === 0 || this.descriptors.has(fd)) fd = (fd + 1) % LOCAL_FD_BASE;
    this.nextFd = (fd + 1) % LOCAL_FD_BASE;
    this.descriptors.set(fd, { file, append });
    file.openCount += 1;
    return fd;
  }

  /** Drops a descriptor; returns its file when that was the last descriptor on it. */
  release(fd: number): OpenFile | undefined {
    const descriptor = this.descriptors.get(fd);
    if (descriptor === undefined) return undefined;
    this.descriptors.delete(fd);
    const file = descriptor.file;
    file.openCount -= 1;
    if (file.openCount > 0) return undefined;
    if (this.files.get(file.path) === file) this.files.delete(file.path);
    return file;
  }

  /** Remembers a closed file's handles until an fsync of its path, or until room runs out. */
  retire(path: string, handles: GfsFileHandle[]): void {
    if (handles.length === 0) return;
    const known = this.unsynced.get(path) ?? [];
    this.unsynced.delete(path);
    this.unsynced.set(path, [...known, ...handles]);
    while (this.unsynced.size > this.unsyncedMax) {
      const oldest = this.unsynced.keys().next();
      if (oldest.done) break;
      this.unsynced.delete(oldest.value);
    }
  }

  /** Handles of closed files at `path` that fsync must reach (taken: the caller syncs them). */
  takeUnsynced(path: string): GfsFileHandle[] {
    const handles = this.unsynced.get(path) ?? [];
    this.unsynced.delete(path);
    return handles;
  }

  /** `from` (a file or a directory) is now `to`: move open files and unsynced handles along. */
  renamed(from: string, to: string): void {
    const moved = (path: string) => to + path.slice(from.length);
    for (const [path, file] of [...this.files]) {
      if (!isSameOrBelow(path, from)) continue;
      this.files.delete(path);
      file.renamed(moved(path));
      this.files.set(file.path, file);
    }
    for (const [path, handles] of [...this.unsynced]) {
      if (!isSameOrBelow(path, from)) continue;
      this.unsynced.delete(path);
      this.unsynced.set(moved(path), handles);
    }
  }

  /** `path` was removed: nothing left there to fsync. */
  removed(path: string): void {
    for (const key of [...this.unsynced.keys()]) if (isSameOrBelow(key, path)) this.unsynced.delete(key);
  }
}
