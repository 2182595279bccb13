// Files this mount created in a directory it holds the delegation of (delegations.ts), kept in
// memory and sent to the cluster later: create, write and close are answered here, as a local
// disk answers them from its page cache. A closed file goes out once the mount has made no change
// to the namespace (create, unlink, rename, mkdir, rmdir) for WRITE_BACK_IDLE_MS, or has waited WRITE_BACK_AGE_MS, or the pending files fill half their bound;
// at once when a process asks (fsync, fsync of the directory, an open elsewhere in the mount that
// needs the cluster's copy) or the master recalls the directory. Sending is one create (with the
// create's id, so a resent one is recognised), one write into the chunk it reserved, one extend:
// the same path a file created at the master takes at its close, with several files in flight.
//
// What a pending file is: bytes [0, size) in one buffer, its mode and mtime. It stays pending
// while it is small (PENDING_FILE_BYTES_MAX); past that, or when anything but a stat, a read, a
// write or a truncate is asked of it, it is sent first and from then on is a file like any other.

import { GfsError } from '../../shared/errors.js';
import { isUnreachable } from '../../shared/http/client.js';
import type { Logger } from '../../shared/log.js';
import { baseName, parentPath } from '../../shared/paths.js';
import type { Entry } from '../../shared/protocol/namespace.js';
import type { GfsClient } from '../sdk/client.js';
import type { GfsFileHandle } from '../sdk/file-handle.js';
import type { ByteBudget } from './byte-budget.js';
import { errnoError } from './errno.js';
import {
  LOCAL_FD_BASE,
  PENDING_BYTES_MAX,
  PENDING_FILE_BYTES_MAX,
  PENDING_FILES_MAX,
  WRITE_BACK_AGE_MS,
  WRITE_BACK_FILES_IN_FLIGHT,
  WRITE_BACK_IDLE_MS,
} from './limits.js';

export type PendingState = 'local' | 'sending' | 'sent' | 'failed';

export interface PendingFile {
  path: string;
  mode: number;
  /** The mode it gets once sent, when it is not writable by its owner (set after the write). */
  modeAtEnd: number | undefined;
  /** An mtime set by utimens, set at the master after the write (whose extend sets its own). */
  mtimeAtEnd: number | undefined;
  data: Buffer;
  sizeBytes: number;
  mtimeMs: number;
  createdAtMs: number;
  /** Descriptors open on it (local ones: fds the write-back handed out). */
  openCount: number;
  /** Closed at least once since it was created: eligible for sending in the background. */
  closed: boolean;
  state: PendingState;
  /** Not sent in the background before this (a send found the cluster unreachable). */
  notBeforeMs: number;
  /** Unlinked while being sent: hidden here, removed at the master once sent. */
  removed: boolean;
  /** Asked for (fsync, a recall…): sent before any other, whether closed or not. */
  urgent: boolean;
  /** Settles when the current (or next) attempt to send the file ends. */
  attempt: { done: Promise<void>; end: () => void };
  /** The SDK handle the send wrote through: fsync syncs it. */
  handle: GfsFileHandle | undefined;
  failure: unknown;
}

export interface WriteBackOptions {
  client: GfsClient;
  budget: ByteBudget;
  now: () => number;
  log: Logger;
  /** Owner and group a pending file shows (the client's identity; the master records the same). */
  owner: string;
  group: string;
  /** A send ended: the file is the master's now (state 'sent', its handle serves fsync) or it failed. */
  onSent: (file: PendingFile) => void;
}

/** A send that found the cluster unreachable (after the SDK's own patience) is tried again after this. */
const WRITE_BACK_RETRY_MS = 5_000;

/**
 * Failures after which the file stays pending: the master or the chunkservers could not be
 * reached, or asked for patience, for longer than the SDK waits. Any other failure is final.
 */
function isTransient(error: unknown): boolean {
  if (isUnreachable(error)) return true;
  if (!(error instanceof GfsError)) return false;
  return (
    error.code === 'UNAVAILABLE' || error.code === 'NOT_READY' || error.code === 'BUSY' || error.code === 'DELEGATED'
  );
}

function newAttempt(): { done: Promise<void>; end: () => void } {
  let end: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    end = resolve;
  });
  return { done, end };
}

/** Smallest buffer a pending file starts with; it doubles as it grows. */
const FIRST_BUFFER_BYTES = 4096;

export class WriteBack {
  private readonly files = new Map<string, PendingFile>();
  private readonly fds = new Map<number, PendingFile>();
  private nextFd = LOCAL_FD_BASE;
  private pendingBytes = 0;
  /** When this mount last changed the namespace (create, unlink, rename, mkdir, rmdir). */
  private lastChangeMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly sending = new Set<Promise<void>>();
  /** Path → the removal of a file unlinked while it was being sent. */
  private readonly removals = new Map<string, Promise<void>>();
  /** Directory → the first failure to send a file there since the last fsync of it. */
  private readonly failures = new Map<string, unknown>();

  constructor(private readonly options: WriteBackOptions) {}

  /** Files created here and not yet sent (or being sent). */
  get pendingCount(): number {
    return this.files.size;
  }

  /** Room for one more pending file. */
  get hasRoom(): boolean {
    return this.files.size < PENDING_FILES_MAX && this.pendingBytes < PENDING_BYTES_MAX;
  }

  file(path: string): PendingFile | undefined {
    const file = this.files.get(path);
    return file === undefined || file.removed ? undefined : file;
  }

  /**
   * The mount changed the namespace (an unlink, a rename…): sending waits until it is quiet, as it
   * does during a burst of creates. `rm -rf` right after a burst then drops the files not sent yet
   * instead of racing the sender (whose sends it would have to undo, one master call each).
   */
  changed(): void {
    this.lastChangeMs = this.options.now();
  }

  /** The pending files in directory `dir` (a listing shows them). */
  pendingIn(dir: string): PendingFile[] {
    return [...this.files.values()].filter((file) => !file.removed && parentPath(file.path) === dir);
  }

  /** The removal under way of a file unlinked while it was being sent (removeAfterSend). */
  removal(path: string): Promise<void> | undefined {
    return this.removals.get(path);
  }

  /**
   * unlink(2) of a file being sent: gone here at once, removed at the master once its send ends
   * (waiting for the send would hold `rm -rf` to the pace of sending). The directory's fsync, a
   * recall and the unmount wait for the removal, so nobody else sees the file in between.
   */
  removeAfterSend(file: PendingFile): void {
    file.removed = true;
    const { path } = file;
    const removal = file.attempt.done
      .then(async () => {
        if (file.state === 'sent') await this.options.client.rm(path);
        else if (file.state === 'local') this.drop(file);
      })
      .catch((error: unknown) => {
        this.noteFailure(path, error);
        this.options.log.error({ err: error, path }, 'a file unlinked while it was being sent is still in the cluster');
      })
      .finally(() => {
        if (this.removals.get(path) === removal) this.removals.delete(path);
      });
    this.removals.set(path, removal);
  }

  isLocalFd(fd: number): boolean {
    return fd >= LOCAL_FD_BASE;
  }

  /** The pending file of a local descriptor (EBADF when unknown). */
  fileOf(fd: number): PendingFile {
    const file = this.fds.get(fd);
    if (file === undefined) throw errnoError('EBADF', `no open file ${fd}`);
    return file;
  }

  /** A new, empty file at `path`, known only here. */
  create(path: string, mode: number, modeAtEnd: number | undefined): PendingFile {
    const now = this.options.now();
    this.lastChangeMs = now;
    const file: PendingFile = {
      path,
      mode,
      modeAtEnd,
      mtimeAtEnd: undefined,
      data: Buffer.alloc(0),
      sizeBytes: 0,
      mtimeMs: now,
      createdAtMs: now,
      openCount: 0,
      closed: false,
      state: 'local',
      notBeforeMs: 0,
      removed: false,
      urgent: false,
      attempt: newAttempt(),
      handle: undefined,
      failure: undefined,
    };
    this.files.set(path, file);
    this.schedule();
    return file;
  }

  /** What stat shows for a pending file. */
  entry(file: PendingFile): Entry {
    return {
      name: baseName(file.path),
      path: file.path,
      type: 'file',
      size: file.sizeBytes,
      chunks: file.sizeBytes === 0 ? 0 : 1,
      replication: 0,
      mtime: new Date(file.mtimeMs).toISOString(),
      mtimeMs: file.mtimeMs,
      mode: file.modeAtEnd ?? file.mode,
      owner: this.options.owner,
      group: this.options.group,
    };
  }

  open(file: PendingFile): number {
    let fd = this.nextFd;
    while (this.fds.has(fd)) fd = fd + 1 >= 0x7fffffff ? LOCAL_FD_BASE : fd + 1;
    this.nextFd = fd + 1 >= 0x7fffffff ? LOCAL_FD_BASE : fd + 1;
    this.fds.set(fd, file);
    file.openCount += 1;
    return fd;
  }

  /** Drops a local descriptor; the last close makes the file eligible for sending. */
  release(fd: number): PendingFile | undefined {
    const file = this.fds.get(fd);
    if (file === undefined) return undefined;
    this.fds.delete(fd);
    file.openCount -= 1;
    if (file.openCount === 0) {
      file.closed = true;
      this.schedule();
    }
    return file;
  }

  /** Whether `data` at `offsetBytes` keeps the file small enough to stay pending. */
  fits(file: PendingFile, offsetBytes: number, lengthBytes: number): boolean {
    return file.state === 'local' && offsetBytes + lengthBytes <= PENDING_FILE_BYTES_MAX;
  }

  /**
   * Writes into a pending file (the caller checked `fits`); waits only for memory. False when the
   * file began to be sent meanwhile: the write must then go to the cluster's copy.
   */
  async write(file: PendingFile, data: Buffer, offsetBytes: number): Promise<boolean> {
    const endBytes = offsetBytes + data.byteLength;
    if (endBytes > file.data.byteLength) await this.grow(file, endBytes);
    if (file.state !== 'local') return false;
    data.copy(file.data, offsetBytes);
    if (offsetBytes > file.sizeBytes) file.data.fill(0, file.sizeBytes, offsetBytes);
    file.sizeBytes = Math.max(file.sizeBytes, endBytes);
    file.mtimeMs = this.options.now();
    return true;
  }

  read(file: PendingFile, into: Buffer, offsetBytes: number): number {
    if (offsetBytes >= file.sizeBytes) return 0;
    return file.data.copy(into, 0, offsetBytes, Math.min(file.sizeBytes, offsetBytes + into.byteLength));
  }

  /** Sets a pending file's length (the caller checked `fits`); false as for `write`. */
  async truncate(file: PendingFile, lengthBytes: number): Promise<boolean> {
    if (lengthBytes > file.data.byteLength) await this.grow(file, lengthBytes);
    if (file.state !== 'local') return false;
    if (lengthBytes > file.sizeBytes) file.data.fill(0, file.sizeBytes, lengthBytes);
    file.sizeBytes = lengthBytes;
    file.mtimeMs = this.options.now();
    return true;
  }

  /** chmod of a pending file: kept for the send (a mode without the owner's write, after it). */
  chmod(file: PendingFile, mode: number): void {
    const unwritable = (mode & 0o200) === 0;
    file.mode = unwritable ? mode | 0o200 : mode;
    file.modeAtEnd = unwritable ? mode : undefined;
  }

  /** utimens of a pending file: shown now, and set at the master after the send. */
  setMtime(file: PendingFile, mtimeMs: number): void {
    file.mtimeMs = mtimeMs;
    file.mtimeAtEnd = mtimeMs;
  }

  /** `from` (a file or a directory) is now `to`: descriptors of sent files open there follow. */
  renamed(from: string, to: string): void {
    const prefix = from === '/' ? '/' : `${from}/`;
    for (const file of new Set(this.fds.values())) {
      if (file.path === from || file.path.startsWith(prefix)) file.path = to + file.path.slice(from.length);
    }
  }

  /** A pending file that was never sent is removed: it simply stops existing. */
  drop(file: PendingFile): void {
    if (file.state !== 'local' || this.files.get(file.path) !== file) return;
    this.files.delete(file.path);
    this.forgetBytes(file);
  }

  /**
   * Sends `file` now (or waits for the send under way); rejects with its failure, or with the
   * failure that left it pending (the cluster unreachable: it is tried again later).
   */
  send(file: PendingFile): Promise<void> {
    if (file.state === 'sent' || file.state === 'failed') return this.outcome(file);
    const { done } = file.attempt;
    if (file.state === 'local') {
      file.urgent = true;
      this.pump();
    }
    return done.then(() => this.outcome(file));
  }

  private async outcome(file: PendingFile): Promise<void> {
    if (file.state === 'failed' || file.state === 'local') throw file.failure;
  }

  /** Sends every pending file in `dir` (recall, fsync of the directory); rejects with the first failure. */
  async sendDir(dir: string): Promise<void> {
    await this.sendAll(this.pendingIn(dir));
    await Promise.all([...this.removals].filter(([path]) => parentPath(path) === dir).map(([, removal]) => removal));
  }

  /**
   * fsync of directory `dir`: everything pending there is sent, and a failure to send a file there
   * since the last fsync of it is reported (once), as a failed write-back is on a local disk.
   */
  async syncDir(dir: string): Promise<void> {
    await this.sendDir(dir);
    const failure = this.failures.get(dir);
    this.failures.delete(dir);
    if (failure !== undefined) throw failure;
  }

  /** Sends everything (the unmount); answers the failures. */
  async sendEverything(): Promise<unknown[]> {
    const pending = [...this.files.values()].filter((file) => !file.removed);
    const results = await Promise.allSettled(pending.map((file) => this.send(file)));
    await Promise.all(this.removals.values());
    return results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** After a failure to reach the cluster: the background sender tries again in a while. */
  private retryLater(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.schedule();
    }, WRITE_BACK_RETRY_MS);
    this.retryTimer.unref();
  }

  private noteFailure(path: string, error: unknown): void {
    const dir = parentPath(path);
    if (!this.failures.has(dir)) this.failures.set(dir, error);
  }

  private async sendAll(files: PendingFile[]): Promise<void> {
    const results = await Promise.allSettled(files.map((file) => this.send(file)));
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  private async grow(file: PendingFile, bytes: number): Promise<void> {
    const capacity = Math.max(FIRST_BUFFER_BYTES, file.data.byteLength * 2, bytes);
    const added = capacity - file.data.byteLength;
    await this.options.budget.acquire(added);
    this.pendingBytes += added;
    const data = Buffer.allocUnsafe(capacity);
    file.data.copy(data, 0, 0, file.sizeBytes);
    file.data = data;
  }

  private forgetBytes(file: PendingFile): void {
    const bytes = file.data.byteLength;
    file.data = Buffer.alloc(0);
    this.pendingBytes -= bytes;
    this.options.budget.release(bytes);
  }

  /** Arms the background sender for when the mount is quiet, the oldest file old, or room short. */
  private schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, WRITE_BACK_IDLE_MS);
    this.timer.unref();
  }

  /**
   * Starts sends while there is room in flight: first the files asked for, then closed files that
   * are due (the mount quiet, the file old, or the pending files crowded). Runs again at every
   * send's end, so the slots never idle while files are due; a timer covers files not due yet.
   */
  private pump(): void {
    if (this.stopped) return;
    for (const file of this.files.values()) {
      if (this.sending.size >= WRITE_BACK_FILES_IN_FLIGHT) return;
      if (file.state === 'local' && file.urgent && !file.removed) this.startSend(file);
    }
    const now = this.options.now();
    const quiet = now - this.lastChangeMs >= WRITE_BACK_IDLE_MS;
    const crowded = this.files.size > PENDING_FILES_MAX / 2 || this.pendingBytes > PENDING_BYTES_MAX / 2;
    let waiting = false;
    for (const file of this.files.values()) {
      if (this.sending.size >= WRITE_BACK_FILES_IN_FLIGHT) return;
      if (file.state !== 'local' || file.removed) continue;
      // Created and not yet opened (the kernel's mknod before its open), or still open: not yet.
      const due = quiet || crowded || now - file.createdAtMs >= WRITE_BACK_AGE_MS;
      if (!file.closed || file.openCount > 0 || !due || file.notBeforeMs > now) {
        waiting = true;
        continue;
      }
      this.startSend(file);
    }
    if (waiting) this.schedule();
  }

  private startSend(file: PendingFile): void {
    file.state = 'sending';
    const attempt = file.attempt;
    const sending = this.sendFile(file).finally(() => {
      this.sending.delete(sending);
      if (file.state === 'local') {
        // Kept for a later attempt: the cluster could not be reached for the SDK's whole patience.
        file.urgent = false;
        file.attempt = newAttempt();
        file.notBeforeMs = this.options.now() + WRITE_BACK_RETRY_MS;
        this.retryLater();
      } else {
        this.files.delete(file.path);
        this.forgetBytes(file);
      }
      attempt.end();
      this.pump();
    });
    this.sending.add(sending);
  }

  private async sendFile(file: PendingFile): Promise<void> {
    const { client } = this.options;
    const data = file.data.subarray(0, file.sizeBytes);
    try {
      const { handle, entry, created } = await client.openOrCreate(file.path, {
        mode: file.mode,
        reserveChunk: true,
      });
      // Only this mount adds names here while it holds the delegation: a file already there is
      // this send's own earlier attempt, cut short (a master restart), and is written over.
      if (!created && entry.size > 0) await client.truncate(file.path, 0);
      await handle.writeWhole(data);
      if (file.mtimeAtEnd !== undefined) await client.utimes(file.path, file.mtimeAtEnd);
      if (file.modeAtEnd !== undefined) await client.chmod(file.path, file.modeAtEnd);
      file.handle = handle;
      file.state = 'sent';
      this.options.onSent(file);
    } catch (error) {
      if (isTransient(error)) {
        file.state = 'local';
        file.failure = error;
        this.options.log.warn(
          { err: error, path: file.path },
          'a closed file not sent yet (the cluster is unreachable); retrying',
        );
        return;
      }
      file.state = 'failed';
      file.failure = error;
      this.noteFailure(file.path, error);
      this.options.log.error({ err: error, path: file.path }, 'a closed file could not be written to the cluster');
      this.options.onSent(file);
    }
  }
}
