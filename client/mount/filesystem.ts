// The mount's file system, one async method per FUSE operation, over the SDK (no protocol of its
// own). Paths are the kernel's: absolute, normalised, under the cluster root. Failures are thrown
// (GfsError or ErrnoError); operations.ts turns them into errnos.
//
// Consistency (docs/mount.md): close-to-open. Every open asks the master afresh and drops what
// was read ahead; close (flush) returns once the data is on every replica and the length at the
// master. Between those, attributes come from a cache of ATTR_CACHE_TTL_MS.

import { setTimeout as delay } from 'node:timers/promises';
import { BufferPool } from '../../shared/buffer-pool.js';
import { GfsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { baseName, joinPath, parentPath } from '../../shared/paths.js';
import type { Entry } from '../../shared/protocol/namespace.js';
import type { GfsClient } from '../sdk/client.js';
import type { GfsFileHandle } from '../sdk/file-handle.js';
import { AttrCache } from './attr-cache.js';
import { ByteBudget } from './byte-budget.js';
import { Delegations } from './delegations.js';
import { errnoError } from './errno.js';
import {
  ATTR_CACHE_ENTRIES_MAX,
  ATTR_CACHE_TTL_MS,
  KERNEL_ATTR_SETTLE_MS,
  MOUNT_BUFFER_BYTES_MAX,
  OPEN_FILES_MAX,
  READ_POOL_IDLE_BYTES_MAX,
  UNSYNCED_FILES_MAX,
} from './limits.js';
import { type FileContext, OpenFile } from './open-file.js';
import { OpenFiles } from './open-files.js';
import { OwnerMap } from './owner-map.js';
import { type FuseStat, type FuseStatfs, fuseStat, fuseStatfs, isRegularFileMode, type Owner, W_OK } from './stat.js';
import { type PendingFile, WriteBack } from './write-back.js';

export interface MountFsOptions {
  readOnly: boolean;
  owner: Owner;
  /** gfs owners as local ids (owner-map.ts); default: everything is the mounting user's (`owner`). */
  owners?: OwnerMap;
  chunkSizeBytes: number;
  now?: () => number;
  /**
   * Write-back of new files in delegated directories (docs/mount.md, "Small files"), for a client
   * made with a delegation holder id; logged here. Absent: every close waits for the cluster.
   */
  writeBack?: { log: Logger };
}

/** The mode the master gives new directories; anything else costs a chmod after the mkdir. */
const DIR_MODE_DEFAULT = 0o755;
const O_ACCMODE = 0o3;
const O_RDONLY = 0;
const O_WRONLY = 1;
const R_OK = 4;
const O_APPEND = 0o2000;
const O_TRUNC = 0o1000;
/** Creates whose open has not come yet, remembered at most. */
const CREATED_REMEMBERED_MAX = 1024;
/** A directory as `.` and `..` show in a listing. */
const DIRECTORY_ENTRY: Entry = {
  name: '',
  path: '/',
  type: 'dir',
  size: 0,
  chunks: 0,
  replication: 0,
  mtime: '',
  mtimeMs: 0,
  mode: DIR_MODE_DEFAULT,
  owner: 'root',
  group: 'root',
};
/** chown's "leave unchanged" (-1 as the unsigned 32-bit value the binding hands over). */
const ID_UNCHANGED = 0xffffffff;

export class GfsMountFs {
  private readonly attrs: AttrCache;
  private readonly files = new OpenFiles(OPEN_FILES_MAX, UNSYNCED_FILES_MAX);
  private readonly context: FileContext;
  private readonly statsInFlight = new Map<string, Promise<Entry>>();
  /** Files this mount just created, with the master's entry and the SDK handle, for the open that follows. */
  private readonly created = new Map<string, { entry: Entry; handle: GfsFileHandle; createdAtMs: number }>();
  private readonly now: () => number;

  private readonly owners: OwnerMap;
  /** Files this mount created writable for their creator, and the mode they get at the last close. */
  private readonly modesAtClose = new Map<string, number>();
  private readonly delegations: Delegations | undefined;
  private readonly writeBack: WriteBack | undefined;
  /** A local descriptor (write-back.ts) of a file since sent → the descriptor that file has now. */
  private readonly sentFds = new Map<number, Promise<number>>();
  /** A local descriptor → its open flags (for the descriptor it gets once its file is sent). */
  private readonly localFlags = new Map<number, number>();

  constructor(
    private readonly client: GfsClient,
    private readonly options: MountFsOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.owners = options.owners ?? new OwnerMap(options.owner, undefined);
    this.attrs = new AttrCache(ATTR_CACHE_TTL_MS, ATTR_CACHE_ENTRIES_MAX, this.now);
    this.context = {
      client,
      chunkSizeBytes: options.chunkSizeBytes,
      budget: new ByteBudget(MOUNT_BUFFER_BYTES_MAX),
      blockPool: new BufferPool(READ_POOL_IDLE_BYTES_MAX),
      readOnly: options.readOnly,
      now: this.now,
    };
    if (options.writeBack !== undefined && client.holder !== undefined && !options.readOnly) {
      const { log } = options.writeBack;
      const identity = client.identity;
      this.writeBack = new WriteBack({
        client,
        budget: this.context.budget,
        now: this.now,
        log,
        owner: identity?.user ?? 'root',
        group: identity?.groups[0] ?? identity?.user ?? 'root',
        onSent: (file) => {
          this.attrs.delete(file.path);
          // Sent, or failed somewhere after its create: either way the name may be at the master.
          this.named(file.path, true);
          if (file.state === 'sent' && file.handle !== undefined) this.files.retire(file.path, [file.handle]);
        },
      });
      const writeBack = this.writeBack;
      this.delegations = new Delegations(client, { now: this.now, log, onRecall: (dir) => writeBack.sendDir(dir) });
    }
  }

  /** Bytes of file data the mount holds in memory: gathered writes, writes in flight, cached reads. */
  get bufferedBytes(): number {
    return this.context.budget.used;
  }

  // ---- attributes and the namespace

  async getattr(path: string): Promise<FuseStat> {
    return this.stat(await this.entryOf(path));
  }

  /** fsync(2) of a directory: the files created in it and not yet sent go to the cluster now. */
  async fsyncdir(path: string): Promise<void> {
    await this.writeBack?.syncDir(path);
  }

  async readdir(path: string): Promise<{ names: string[]; stats: FuseStat[] }> {
    const entries = await this.client.readdir(path);
    // The kernel takes only the type from these (no use_ino): `.` and `..` are directories.
    const directory = this.stat({ ...DIRECTORY_ENTRY, path, mtimeMs: this.now() });
    const names = ['.', '..'];
    const stats = [directory, directory];
    const pending = this.writeBack?.pendingIn(path) ?? [];
    const pendingNames = new Set(pending.map((file) => baseName(file.path)));
    for (const entry of entries) {
      const childPath = joinPath(path, entry.name);
      if (pendingNames.has(entry.name) || this.writeBack?.removal(childPath) !== undefined) continue;
      this.attrs.set(childPath, entry);
      const open = this.files.file(childPath);
      if (open !== undefined) open.observed(entry);
      names.push(entry.name);
      stats.push(this.stat(open?.attributes() ?? entry));
    }
    for (const file of pending) {
      names.push(baseName(file.path));
      stats.push(this.stat(this.pendingEntry(file)));
    }
    return { names, stats };
  }

  async mkdir(path: string, mode: number): Promise<void> {
    this.refuseIfReadOnly();
    this.writeBack?.changed();
    try {
      await this.client.mkdir(path);
    } finally {
      this.named(path, true);
    }
    this.attrs.delete(path);
    if ((mode & 0o7777) !== DIR_MODE_DEFAULT) await this.client.chmod(path, mode & 0o7777);
  }

  /**
   * Creates a regular file (FUSE's `create` is served as mknod + open, because the binding's
   * create does not pass the open flags that O_APPEND needs). The kernel looked the name up just
   * before; see docs/mount.md for what that means for O_EXCL across mounts.
   */
  async mknod(path: string, mode: number): Promise<void> {
    this.refuseIfReadOnly();
    if (!isRegularFileMode(mode)) throw errnoError('EPERM', 'only regular files and directories exist in gfs');
    // Creates the file when it is missing (with its mode: no chmod after) and never truncates one
    // that appeared meanwhile; the SDK handle it opens serves the open that follows. A new file is
    // most likely written next: the master sets a chunk aside for it (a small file's first close
    // is then one chunk write and one master call).
    const unwritable = this.owners.createsUnwritable(mode);
    await this.writeBack?.removal(path);
    if (this.createsLocally(path)) {
      const bits = mode & 0o7777;
      this.writeBack?.create(path, bits | (unwritable ? 0o200 : 0), unwritable ? bits : undefined);
      return;
    }
    this.named(path, true);
    const { handle, entry, created } = await this.client.openOrCreate(path, {
      mode: (mode & 0o7777) | (unwritable ? 0o200 : 0),
      reserveChunk: true,
    });
    if (created) this.delegations?.noteCreate(parentPath(path));
    if (created && unwritable) this.modesAtClose.set(path, mode & 0o7777);
    this.attrs.set(path, entry);
    this.created.delete(path);
    // Only a file this call made is known to be empty and just so: one that another mount made
    // meanwhile is asked about afresh by the open.
    if (!created) return;
    this.created.set(path, { entry, handle, createdAtMs: this.now() });
    // The kernel opens right after its mknod; a plain mknod(2) never does. Keep only a few.
    if (this.created.size > CREATED_REMEMBERED_MAX) {
      const oldest = this.created.keys().next();
      if (!oldest.done) this.created.delete(oldest.value);
    }
  }

  async unlink(path: string): Promise<void> {
    this.refuseIfReadOnly();
    this.writeBack?.changed();
    const pending = this.writeBack?.file(path);
    if (pending?.state === 'local' && pending.openCount === 0) {
      // Never sent: it goes as it came, without the cluster hearing of it.
      this.writeBack?.drop(pending);
      return;
    }
    if (pending?.state === 'sending' && pending.openCount === 0) {
      this.writeBack?.removeAfterSend(pending);
      this.named(path, false);
      this.forget(path);
      return;
    }
    if (pending !== undefined) await this.settled(pending);
    await this.writeBack?.removal(path);
    if (this.knownMissing(path)) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
    if (this.attrs.get(path)?.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory', path);
    try {
      await this.client.rm(path);
      this.named(path, false);
    } finally {
      this.forget(path);
    }
  }

  async rmdir(path: string): Promise<void> {
    this.refuseIfReadOnly();
    this.writeBack?.changed();
    const entry = await this.freshEntry(path);
    if (entry.type !== 'dir') throw new GfsError('NOT_A_DIRECTORY', 'not a directory', path);
    // Files pending in it, and its delegation, go first: the master refuses a directory not empty.
    await this.delegations?.settleUnder(path);
    try {
      await this.client.rm(path);
      this.named(path, false);
    } finally {
      this.forget(path);
    }
  }

  /** rename(2), atomic at the master; open files below `from` are flushed first and follow it. */
  async rename(from: string, to: string): Promise<void> {
    this.refuseIfReadOnly();
    this.writeBack?.changed();
    // What is pending at either name, or in a directory being moved, reaches the cluster first.
    await Promise.all([
      ...[from, to].map((path) => {
        const pending = this.writeBack?.file(path);
        return pending === undefined ? undefined : this.settled(pending);
      }),
      this.delegations?.settleUnder(from),
      this.delegations?.settleUnder(to),
      this.writeBack?.removal(from),
      this.writeBack?.removal(to),
    ]);
    await Promise.all(this.files.under(from).map((file) => file.flush()));
    try {
      await this.client.rename(from, to);
      this.files.renamed(from, to);
      this.writeBack?.renamed(from, to);
      this.named(from, false);
    } finally {
      this.named(to, true);
      this.attrs.deleteTree(from);
      this.attrs.deleteTree(to);
      this.created.delete(from);
      this.created.delete(to);
    }
  }

  async truncate(path: string, lengthBytes: number): Promise<void> {
    this.refuseIfReadOnly();
    const pending = this.writeBack?.file(path);
    if (pending !== undefined) {
      if (this.writeBack?.fits(pending, lengthBytes, 0) && (await this.writeBack.truncate(pending, lengthBytes)))
        return;
      await this.settled(pending);
    }
    const file = this.files.file(path);
    try {
      if (file !== undefined) await file.truncate(lengthBytes);
      else await this.client.truncate(path, lengthBytes);
    } finally {
      this.attrs.delete(path);
    }
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.refuseIfReadOnly();
    const pending = this.writeBack?.file(path);
    if (pending?.state === 'local') return this.writeBack?.chmod(pending, mode & 0o7777);
    if (pending !== undefined) await this.settled(pending);
    await this.client.chmod(path, mode & 0o7777);
    this.attrs.delete(path);
    this.files.file(path)?.patched({ mode: mode & 0o7777 });
  }

  /**
   * Local ids become gfs names through the owner map (the master decides who may); without gfs
   * identities (--insecure) everything belongs to the mounting user, and only that can be asked for.
   */
  async chown(path: string, uid: number, gid: number): Promise<void> {
    const pending = this.writeBack?.file(path);
    if (pending !== undefined && (pending.state !== 'local' || this.owners.mapsOwners)) await this.settled(pending);
    const entry = await this.entryOf(path);
    const owners = this.owners;
    if (!owners.mapsOwners) {
      const { owner } = this.options;
      if ((uid !== ID_UNCHANGED && uid !== owner.uid) || (gid !== ID_UNCHANGED && gid !== owner.gid)) {
        throw errnoError('EPERM', 'gfs files belong to the mounting user');
      }
      return;
    }
    this.refuseIfReadOnly();
    const user = uid === ID_UNCHANGED ? undefined : owners.userNamed(uid);
    const group = gid === ID_UNCHANGED ? undefined : owners.groupNamed(gid);
    if ((uid !== ID_UNCHANGED && user === undefined) || (gid !== ID_UNCHANGED && group === undefined)) {
      throw errnoError('EINVAL', 'no gfs name for that local id');
    }
    const change = {
      ...(user === undefined || user === entry.owner ? {} : { user }),
      ...(group === undefined || group === entry.group ? {} : { group }),
    };
    if (change.user === undefined && change.group === undefined) return;
    await this.client.chown(path, change);
    this.attrs.delete(path);
  }

  /** Sets the modification time; bytes still gathered are written first, or their landing would move it again. */
  async utimens(path: string, mtimeMs: number): Promise<void> {
    this.refuseIfReadOnly();
    const pending = this.writeBack?.file(path);
    if (pending?.state === 'local') return this.writeBack?.setMtime(pending, mtimeMs);
    if (pending !== undefined) await this.settled(pending);
    const file = this.files.file(path);
    if (file !== undefined) await file.flush();
    await this.client.utimes(path, mtimeMs);
    this.attrs.delete(path);
    file?.patched({ mtimeMs });
  }

  async statfs(): Promise<FuseStatfs> {
    return fuseStatfs(await this.client.statfs());
  }

  async access(path: string, mode: number): Promise<void> {
    const entry = await this.entryOf(path);
    if (this.options.readOnly && (mode & W_OK) !== 0) throw errnoError('EROFS', 'mounted read-only');
    if (!this.owners.permits(entry, mode & 0o7)) throw errnoError('EACCES', 'permission denied');
  }

  // ---- open files

  /** open(2): a fresh look at the master (close-to-open), then a descriptor. */
  async open(path: string, flags: number): Promise<number> {
    const writing = (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
    if (writing) this.refuseIfReadOnly();
    const pending = this.writeBack?.file(path);
    if (pending !== undefined && this.writeBack !== undefined) {
      if (pending.state === 'local' && ((flags & O_TRUNC) === 0 || (await this.writeBack.truncate(pending, 0)))) {
        const fd = this.writeBack.open(pending);
        this.localFlags.set(fd, flags);
        return fd;
      }
      await this.settled(pending);
    }
    await this.writeBack?.removal(path);
    if (this.knownMissing(path)) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
    const created = this.created.get(path);
    this.created.delete(path);
    const justCreated =
      created !== undefined && this.now() - created.createdAtMs <= ATTR_CACHE_TTL_MS ? created : undefined;
    const file = this.files.claim(path, () => new OpenFile(path, this.context));
    try {
      if (justCreated !== undefined && file.openCount === 0 && !file.dirty) {
        // Our own create answered a moment ago, and opened the SDK handle: no need to ask again.
        file.reopened(justCreated.entry);
        file.markCreated(justCreated.handle);
      } else {
        const toldKernel = this.attrs.get(path);
        // A file already open here keeps its SDK handle; opening it once more in the SDK purges
        // the chunk locations cached for it, as a first open does (close-to-open).
        const [entry] = await Promise.all([
          this.freshEntry(path),
          file.openCount === 0 ? file.ready() : this.client.open(path, 'r'),
        ]);
        file.reopened(entry);
        // As open(2) does, and before any byte is buffered: a refusal at the first flush would
        // come at close, which most programs never check. (The master checks again anyway.)
        const wanted = (writing ? W_OK : 0) | ((flags & O_ACCMODE) === O_WRONLY ? 0 : R_OK);
        if (!this.owners.permits(entry, wanted)) throw errnoError('EACCES', 'permission denied');
        // The kernel may hold the old size from a lookup this very tick (attr_timeout=0 still
        // trusts it until the next tick), and would cut the read there: let the tick pass.
        if (toldKernel !== undefined && toldKernel.size !== entry.size) await delay(KERNEL_ATTR_SETTLE_MS);
      }
    } catch (error) {
      this.files.abandon(file);
      throw error;
    }
    return this.files.add(file, (flags & O_APPEND) !== 0);
  }

  async read(fd: number, buffer: Buffer, length: number, positionBytes: number): Promise<number> {
    if (this.writeBack?.isLocalFd(fd)) {
      const pending = this.writeBack.fileOf(fd);
      if (pending.state === 'local' && !this.sentFds.has(fd)) {
        return this.writeBack.read(pending, buffer.subarray(0, length), positionBytes);
      }
      fd = await this.throughCluster(fd);
    }
    return this.files.descriptor(fd).file.read(buffer.subarray(0, length), positionBytes);
  }

  async write(fd: number, buffer: Buffer, length: number, positionBytes: number): Promise<number> {
    this.refuseIfReadOnly();
    if (this.writeBack?.isLocalFd(fd)) {
      const pending = this.writeBack.fileOf(fd);
      const at = ((this.localFlags.get(fd) ?? 0) & O_APPEND) !== 0 ? pending.sizeBytes : positionBytes;
      if (!this.sentFds.has(fd) && this.writeBack.fits(pending, at, length)) {
        if (await this.writeBack.write(pending, buffer.subarray(0, length), at)) return length;
      }
      fd = await this.throughCluster(fd);
    }
    const { file, append } = this.files.descriptor(fd);
    await file.write(buffer.subarray(0, length), positionBytes, append);
    return length;
  }

  /** close(2) of one descriptor: everything this mount wrote to the file reaches the cluster. */
  async flush(fd: number): Promise<void> {
    if (this.writeBack?.isLocalFd(fd)) {
      // A pending file's close: it goes out later (write-back), unless it was sent already.
      const sent = this.sentFds.get(fd);
      if (sent === undefined) return;
      fd = await sent;
    }
    await this.files.descriptor(fd).file.flush();
  }

  async fsync(fd: number): Promise<void> {
    if (this.writeBack?.isLocalFd(fd)) fd = await this.throughCluster(fd);
    const { file } = this.files.descriptor(fd);
    await file.fsync();
    await syncAll(this.files.takeUnsynced(file.path));
  }

  async ftruncate(fd: number, lengthBytes: number): Promise<void> {
    this.refuseIfReadOnly();
    if (this.writeBack?.isLocalFd(fd)) {
      const pending = this.writeBack.fileOf(fd);
      if (!this.sentFds.has(fd) && this.writeBack.fits(pending, lengthBytes, 0)) {
        if (await this.writeBack.truncate(pending, lengthBytes)) return;
      }
      fd = await this.throughCluster(fd);
    }
    const { file } = this.files.descriptor(fd);
    try {
      await file.truncate(lengthBytes);
    } finally {
      this.attrs.delete(file.path);
    }
  }

  /** The last close of a file: what is still gathered goes out, and fsync later can still reach it. */
  async release(fd: number): Promise<void> {
    if (this.writeBack?.isLocalFd(fd)) {
      const sent = this.sentFds.get(fd);
      this.sentFds.delete(fd);
      this.localFlags.delete(fd);
      this.writeBack.release(fd);
      if (sent === undefined) return;
      fd = await sent;
    }
    const file = this.files.release(fd);
    if (file === undefined) return;
    try {
      await file.flush();
      const modeAtClose = this.modesAtClose.get(file.path);
      if (modeAtClose !== undefined) {
        this.modesAtClose.delete(file.path);
        await this.client.chmod(file.path, modeAtClose);
      }
    } finally {
      file.released();
      this.attrs.delete(file.path);
      this.files.retire(file.path, await file.unsyncedHandles());
    }
  }

  /** Before an unmount: every open file's gathered writes, each failure reported. */
  async flushAll(): Promise<unknown[]> {
    const results = await Promise.allSettled(this.files.all().map((file) => file.flush()));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    if (this.writeBack !== undefined) failures.push(...(await this.writeBack.sendEverything()));
    await this.delegations?.returnAll();
    this.writeBack?.stop();
    return failures;
  }

  // ---- helpers

  /** The entry for `path`: an open file's own view, else the cache, else the master. */
  private async entryOf(path: string): Promise<Entry> {
    const pending = this.writeBack?.file(path);
    if (pending !== undefined) return this.pendingEntry(pending);
    if (this.knownMissing(path) || this.writeBack?.removal(path) !== undefined) {
      throw new GfsError('NOT_FOUND', 'no such file or directory', path);
    }
    return this.files.file(path)?.attributes() ?? this.attrs.get(path) ?? this.freshEntry(path);
  }

  /** A pending file as stat shows it: the size and mtime it has here. */
  private pendingEntry(file: PendingFile): Entry {
    return (this.writeBack as WriteBack).entry(file);
  }

  /**
   * Whether `path` is known to be missing without asking: its directory is delegated here, so
   * nobody else adds names to it, and the name is neither there nor pending.
   */
  private knownMissing(path: string): boolean {
    const delegated = this.delegations?.ofParent(path);
    return delegated !== undefined && !delegated.names.has(baseName(path)) && this.writeBack?.file(path) === undefined;
  }

  /** Whether a new file at `path` is created here only (write-back), not at the master now. */
  private createsLocally(path: string): boolean {
    const delegated = this.delegations?.ofParent(path);
    if (delegated === undefined || delegated.returning !== undefined || this.writeBack === undefined) return false;
    return this.writeBack.hasRoom && this.knownMissing(path);
  }

  /** Keeps a delegated directory's names in step with a change this mount made (or may have made). */
  private named(path: string, present: boolean): void {
    const names = this.delegations?.namesOf(parentPath(path));
    if (names === undefined) return;
    if (present) names.add(baseName(path));
    else names.delete(baseName(path));
  }

  /**
   * Waits until a pending file is sent. A final failure to send it was logged and reported to the
   * directory's fsync: the master's view (no such file) is what counts from then on. A file that
   * could not be sent for now (the cluster unreachable) is still pending here: that failure is the
   * caller's, or the cluster would see the call before the file.
   */
  private async settled(file: PendingFile): Promise<void> {
    await this.writeBack?.send(file).catch((error: unknown) => {
      if (file.state === 'local') throw error;
    });
  }

  /** The descriptor a local one has once its file is sent (sent first, when still pending). */
  private throughCluster(fd: number): Promise<number> {
    const known = this.sentFds.get(fd);
    if (known !== undefined) return known;
    const writeBack = this.writeBack as WriteBack;
    const file = writeBack.fileOf(fd);
    const opening = writeBack.send(file).then(() => this.open(file.path, (this.localFlags.get(fd) ?? 0) & ~O_TRUNC));
    this.sentFds.set(fd, opening);
    opening.catch(() => {
      if (this.sentFds.get(fd) === opening) this.sentFds.delete(fd);
    });
    return opening;
  }

  /**
   * Asks the master (concurrent asks for one path share the answer) and caches the entry. A lookup,
   * not a stat: the kernel asks for every name before it creates it, so missing is common.
   */
  private freshEntry(path: string): Promise<Entry> {
    const inFlight = this.statsInFlight.get(path);
    if (inFlight !== undefined) return inFlight;
    const asking = this.client
      .lookup(path)
      .then((entry) => {
        if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
        this.attrs.set(path, entry);
        this.files.file(path)?.observed(entry);
        return entry;
      })
      .finally(() => this.statsInFlight.delete(path));
    this.statsInFlight.set(path, asking);
    return asking;
  }

  private stat(entry: Entry): FuseStat {
    return fuseStat(entry, this.owners.of(entry));
  }

  private forget(path: string): void {
    this.attrs.deleteTree(path);
    this.created.delete(path);
    this.files.removed(path);
  }

  private refuseIfReadOnly(): void {
    if (this.options.readOnly) throw errnoError('EROFS', 'mounted read-only');
  }
}

async function syncAll(handles: readonly GfsFileHandle[]): Promise<void> {
  await Promise.all(handles.map((handle) => handle.sync()));
}
