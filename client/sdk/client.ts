// GfsClient, the SDK's front door: namespace calls go to the master, data goes straight to the
// chunkservers (DESIGN §1). One undici agent and one set of caches per client.

import { randomInt } from 'node:crypto';
import { GfsError } from '../../shared/errors.js';
import { isUnreachable, RpcClient } from '../../shared/http/client.js';
import {
  LOCATION_CACHE_ENTRIES_MAX,
  LOCATION_CACHE_TTL_MS,
  PIECE_BYTES_DEFAULT,
  PIECES_IN_FLIGHT,
  READ_AHEAD_CHUNKS,
} from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import { normalizePath } from '../../shared/paths.js';
import type { MasterEvent } from '../../shared/protocol/events.js';
import type { CloneRecord, FsckReport } from '../../shared/protocol/health.js';
import type { ClusterStatus } from '../../shared/protocol/heartbeat.js';
import {
  type Entry,
  type FsStats,
  MODE_BITS_MAX,
  MTIME_MS_ABS_MAX,
  type TrashEntry,
} from '../../shared/protocol/namespace.js';
import { readClientClaims } from '../../shared/security/client-token.js';
import { schemeOf } from '../../shared/tls.js';
import { mutationPatienceMs } from './chunk-write.js';
import { resolveToken } from './credentials.js';
import type { SdkDeps } from './deps.js';
import { GfsFileHandle, type OpenMode } from './file-handle.js';
import { LeaseCache } from './lease-cache.js';
import { LocationCache } from './location-cache.js';
import { Locator } from './locator.js';
import { type FileChunk, MasterApi } from './master-api.js';
import { PieceWriter } from './piece-writer.js';
import { splitIntoPieces } from './pieces.js';
import { readRangeToBuffer } from './range-reader.js';
import { payloadBytesMax, RecordAppender, type RecordAppendOptions } from './records/appender.js';
import { type AppendedRecord, type RecordsOptions, readRecords } from './records/reader.js';
import {
  fitsReserved,
  type ReservedChunk,
  reservationOf,
  worthReserving,
  writeIntoReserved,
} from './reserved-chunk.js';
import { withRetries } from './retry.js';
import { GfsReadStream, GfsWriteStream, type ReadStreamOptions } from './streams.js';

export interface GfsClientOptions {
  /**
   * The master: `http://host:port` or `host:port`; `https://host:port` for a TLS cluster, whose
   * chunkservers are then reached over https too.
   */
  master: string;
  /** PEM certificates to trust on top of Node's roots, e.g. a TLS cluster's own CA. */
  ca?: string;
  /**
   * How long a call waits for a master that answered this client before and is unreachable now
   * (restarting), in ms; default 60 000, 0 fails at once. A master never reached fails at once.
   */
  masterOutagePatienceMs?: number;
  /** A pino logger: failed RPCs and retries (with their attempt number) are logged at debug. */
  logger?: Logger;
  /**
   * The client token (`gfs token create`); default GFS_TOKEN, else the credentials file's entry for
   * this master (docs/security-users.md). None is needed by a master run with --insecure.
   */
  token?: string;
  /**
   * This client's id as a holder of directory delegations (the mount's write-back, docs/mount.md):
   * sent with every master request. Without it the client takes no delegations.
   */
  holder?: string;
}

/** Files with a record appender kept (idle ones beyond this are dropped). */
const APPENDERS_MAX = 1024;

/** Connections per server: every piece in flight of a few concurrent streams gets its own. */
const CONNECTIONS_PER_ORIGIN = Math.max(32, PIECES_IN_FLIGHT * (READ_AHEAD_CHUNKS + 2));

export class GfsClient {
  private readonly rpc: RpcClient;
  private readonly deps: SdkDeps;
  /** Where this client starts in each chunk's replica list, so clients spread their reads. */
  private readonly rotation = randomInt(0, 1 << 16);
  private readonly appenders = new Map<string, RecordAppender>();
  private clusterChunkSize: Promise<number> | undefined;
  /** Who this client's token says it is (not verified here: the master does); none without a token. */
  readonly identity: { user: string; groups: readonly string[]; superuser: boolean } | undefined;
  /** This client's delegation holder id (GfsClientOptions.holder). */
  readonly holder: string | undefined;

  constructor(options: GfsClientOptions) {
    if (typeof options?.master !== 'string' || options.master === '') {
      throw new GfsError('INVALID_ARGUMENT', 'the master address is required', String(options?.master));
    }
    this.rpc = new RpcClient({
      connectionsPerOrigin: CONNECTIONS_PER_ORIGIN,
      scheme: schemeOf(options.master),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const { masterOutagePatienceMs } = options;
    if (
      masterOutagePatienceMs !== undefined &&
      !(Number.isFinite(masterOutagePatienceMs) && masterOutagePatienceMs >= 0)
    ) {
      throw new GfsError(
        'INVALID_ARGUMENT',
        'masterOutagePatienceMs must be a number of milliseconds ≥ 0',
        String(masterOutagePatienceMs),
      );
    }
    const token = resolveToken(options.token, options.master);
    const claims = token === undefined ? undefined : readClientClaims(token);
    this.identity =
      claims === undefined ? undefined : { user: claims.user, groups: claims.groups, superuser: claims.superuser };
    const master = new MasterApi(this.rpc, options.master, {
      ...(masterOutagePatienceMs === undefined ? {} : { outagePatienceMs: masterOutagePatienceMs }),
      ...(token === undefined ? {} : { token }),
      ...(options.holder === undefined ? {} : { holder: options.holder }),
    });
    this.holder = options.holder;
    const locations = new LocationCache({ entriesMax: LOCATION_CACHE_ENTRIES_MAX, ttlMs: LOCATION_CACHE_TTL_MS });
    this.deps = {
      rpc: this.rpc,
      master,
      locator: new Locator(master, locations),
      leases: new LeaseCache(master),
      logger: options.logger,
    };
  }

  /** The master's address as given. */
  get master(): string {
    return this.deps.master.address;
  }

  async close(): Promise<void> {
    await this.rpc.close();
  }

  /**
   * Creates or truncates `path` and writes `data` as its whole content. A small file goes into the
   * chunk its create reserved, when the master had one ready: the create, one write and one extend.
   */
  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const file = normalizePath(path);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const reserveChunk = worthReserving(bytes.byteLength);
    const { reserved: grant } = await this.deps.master.create(file, true, { reserveChunk });
    this.forget(file);
    const reserved = reservationOf(grant);
    if (reserved !== undefined) {
      if (fitsReserved(reserved, bytes.byteLength, Date.now())) {
        if ((await writeIntoReserved(this.deps, file, reserved, bytes)) !== undefined) return;
      }
    }
    const chunkSizeBytes = await this.deps.locator.chunkSize(file);
    const writer = new PieceWriter(this.deps, file);
    for (const piece of splitIntoPieces(0, bytes.byteLength, chunkSizeBytes, PIECE_BYTES_DEFAULT)) {
      await writer.submit(piece, bytes.subarray(piece.fileOffsetBytes, piece.fileOffsetBytes + piece.lengthBytes));
    }
    await writer.drain();
    await withRetries(() => this.deps.master.extend(file, bytes.byteLength));
  }

  async readFile(path: string): Promise<Buffer> {
    const file = normalizePath(path);
    const { sizeBytes, chunkSizeBytes } = await this.deps.locator.refresh(file, 0);
    if (sizeBytes === 0) return Buffer.alloc(0);
    return readRangeToBuffer(this.deps, file, { startBytes: 0, endBytes: sizeBytes, chunkSizeBytes }, this.rotation);
  }

  createReadStream(path: string, options: ReadStreamOptions = {}): GfsReadStream {
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        throw new GfsError('INVALID_ARGUMENT', `${name} must be a non-negative integer`, path);
      }
    }
    return new GfsReadStream(this.deps, normalizePath(path), options, this.rotation);
  }

  /**
   * A Writable that creates (or truncates) `path`; the file is complete once 'finish' is emitted.
   * `expectedBytes`, when the caller knows the size: a stream of at most one piece (4 MiB) goes
   * into a chunk its create reserves (one write and one master call at the end), so only those
   * reserve one; unknown, the create reserves one in case.
   */
  createWriteStream(path: string, options: { expectedBytes?: number } = {}): GfsWriteStream {
    const file = normalizePath(path);
    const reserveChunk = worthReserving(options.expectedBytes);
    return new GfsWriteStream(this.deps, file, async () => {
      const { reserved: grant } = await this.deps.master.create(file, true, { reserveChunk });
      this.forget(file);
      return reservationOf(grant);
    });
  }

  async open(path: string, mode: OpenMode = 'r'): Promise<GfsFileHandle> {
    const file = normalizePath(path);
    // A reopen purges the file's cached chunk locations (GFS §2.7.1): a chunk another client
    // released (truncate, rm, overwrite) may linger on its servers, and must not be read.
    this.deps.locator.cache.invalidatePath(file);
    let entry: Entry;
    switch (mode) {
      case 'r':
      case 'r+':
        entry = await this.deps.master.stat(file);
        break;
      case 'w':
        await this.createFile(file);
        entry = await this.deps.master.stat(file);
        break;
      case 'a':
        entry = await this.createIfMissing(file);
        break;
      default:
        throw new GfsError('INVALID_ARGUMENT', `unknown open mode ${String(mode)}`, file);
    }
    if (entry.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory', file);
    return new GfsFileHandle(this.deps, file, mode, entry.size, this.rotation);
  }

  /**
   * Creates `path` when it is missing, with permission bits `mode` (default 0644), and opens it
   * for positioned reads and writes ('r+'); a file that exists is opened as it is, never
   * truncated. One master call when the file is new (`open(path, 'a')` and then `open(path, 'r+')`
   * would take three). `created` says whether this call made the file; `entry` is the master's
   * view of it. With `reserveChunk` (the caller means to write the new file soon) the master may
   * set a chunk aside for it, which makes the handle's `writeWhole` a write and one master call.
   */
  async openOrCreate(
    path: string,
    options: { mode?: number; reserveChunk?: boolean } = {},
  ): Promise<{ handle: GfsFileHandle; entry: Entry; created: boolean }> {
    const file = normalizePath(path);
    const { mode, reserveChunk } = options;
    if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > MODE_BITS_MAX)) {
      throw new GfsError('INVALID_ARGUMENT', 'mode must be an integer from 0 to 0o7777', file);
    }
    // As in open(): a chunk of an earlier file at this path may linger in the cache.
    this.deps.locator.cache.invalidatePath(file);
    let entry: Entry;
    let created = true;
    let reserved: ReservedChunk | undefined;
    try {
      const { reserved: grant, ...made } = await this.deps.master.create(file, false, { mode, reserveChunk });
      entry = made;
      reserved = reservationOf(grant);
    } catch (error) {
      if (!(error instanceof GfsError && error.code === 'ALREADY_EXISTS')) throw error;
      entry = await this.deps.master.stat(file);
      created = false;
    }
    if (entry.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory', file);
    const handle = new GfsFileHandle(this.deps, file, 'r+', entry.size, this.rotation, reserved);
    return { handle, entry, created };
  }

  /**
   * Record append (DESIGN §3): `data` lands whole, at least once, at an offset the system picks;
   * resolves with that offset once any reader can see the record. Creates the file if missing.
   * Concurrent calls share appends (batching) unless `batch: false`. The limit is chunk size / 4
   * for the framed record (payload + 32 bytes) or the raw bytes.
   */
  async recordAppend(
    path: string,
    data: Uint8Array | string,
    options: RecordAppendOptions = {},
  ): Promise<{ offset: number }> {
    const file = normalizePath(path);
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    const appender = this.appenders.get(file) ?? (await this.appenderFor(file));
    return { offset: await appender.append(payload, options) };
  }

  /** Largest payload one record may carry: chunk size / 4, less the frame unless `raw`. */
  async recordPayloadMax(options: { raw?: boolean } = {}): Promise<number> {
    return payloadBytesMax(await this.chunkSizeOfCluster(), options.raw ?? false);
  }

  /**
   * The file's framed records in file order, `{ offset, id, data }`, padding, torn fragments and
   * duplicates dropped; with `follow`, waits for more like `tail -f` (end it with `signal` or by
   * leaving the loop).
   */
  records(path: string, options: RecordsOptions = {}): AsyncGenerator<AppendedRecord> {
    const from = options.from ?? 0;
    if (!Number.isSafeInteger(from) || from < 0) {
      throw new GfsError('INVALID_ARGUMENT', 'from must be a non-negative integer', path);
    }
    return readRecords(this.deps, normalizePath(path), options, this.rotation);
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.deps.master.mkdir(normalizePath(path), options.recursive ?? false);
  }

  async readdir(path: string): Promise<Entry[]> {
    return this.deps.master.list(normalizePath(path));
  }

  async stat(path: string): Promise<Entry> {
    return this.deps.master.stat(normalizePath(path));
  }

  /** `stat` for a path that may well be missing: undefined then, rather than a NOT_FOUND error (cheaper). */
  async lookup(path: string): Promise<Entry | undefined> {
    return this.deps.master.lookup(normalizePath(path));
  }

  /** POSIX rename: replaces an existing file at `to` atomically. */
  async rename(from: string, to: string): Promise<void> {
    const source = normalizePath(from);
    const target = normalizePath(to);
    await this.deps.master.rename(source, target);
    this.forget(source);
    this.forget(target);
  }

  /**
   * Copy-on-write snapshot of a file or a directory tree (DESIGN §3): `dst` must not exist
   * (ALREADY_EXISTS) and its parent must be a directory; `dst` inside `src` is INVALID_ARGUMENT.
   * Cheap: metadata only, the chunks are shared until either side writes one (then that chunk is
   * copied on its chunkservers). Readable at once; later writes to either side do not show in the
   * other. Retried only when the master answered that it took no snapshot (NOT_READY after its
   * restart, UNAVAILABLE when a chunk could not be fenced); never after a lost answer, since the
   * snapshot may have been taken (a retry would then be ALREADY_EXISTS).
   */
  async snapshot(src: string, dst: string): Promise<void> {
    const source = normalizePath(src);
    const target = normalizePath(dst);
    await withRetries(() => this.deps.master.snapshot(source, target), {
      retryIf: (error) => (error.code === 'NOT_READY' || error.code === 'UNAVAILABLE') && !isUnreachable(error),
    });
    // The source's chunks moved to a new version and are shared now: cached leases and locations are stale.
    this.forget(source);
    this.forget(target);
  }

  /**
   * Deletes a file, or a directory tree with `recursive`. While the master keeps a trash
   * (`--trash-retention`, 3 days by default) it goes there whole: gone from the namespace, listed
   * by `trash()`, restorable with `restore()` until the retention ends.
   */
  async rm(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    const file = normalizePath(path);
    await this.deps.master.delete(file, options.recursive ?? false);
    this.forget(file);
  }

  /**
   * The trash, oldest deletion first: each entry's original path, type, size, file count, deletion
   * time and when the master purges it. Overwritten files and files replaced by a rename are there
   * too, under the path they were replaced at.
   */
  async trash(): Promise<TrashEntry[]> {
    return this.deps.master.trash();
  }

  /**
   * Brings back the most recently deleted entry at `path` — or the file or directory at `path`
   * inside a trashed directory — with its data, at `path` or at `options.to`. Missing parent
   * directories are created. Resolves with the path it was restored to. NOT_FOUND when nothing at
   * `path` is in the trash; ALREADY_EXISTS when the destination exists (nothing is overwritten).
   */
  async restore(path: string, options: { to?: string } = {}): Promise<string> {
    const source = normalizePath(path);
    const target = options.to === undefined ? undefined : normalizePath(options.to);
    const reply = await this.deps.master.restore(source, target);
    this.forget(reply.path);
    return reply.path;
  }

  /**
   * POSIX truncate. Growing makes the new range a hole that reads as zeros (no data is written);
   * shrinking releases the chunks past the new end and cuts the tail of the chunk holding it on
   * every replica, so the cut bytes stay zeros if the file grows again. Retried like a write.
   */
  async truncate(path: string, length: number): Promise<void> {
    const file = normalizePath(path);
    checkLength(length, 'length', file);
    try {
      await withRetries(() => this.deps.master.truncate(file, length), {
        patienceMs: (error) => mutationPatienceMs(this.deps, error),
      });
    } finally {
      this.forget(file);
    }
  }

  /**
   * Reserves `length` bytes at the end of the file for the caller (O_APPEND from many clients):
   * the master grows the file atomically and answers the old length, where the caller then
   * writes its bytes with a positioned write. Until they land, the range reads as zeros. Not
   * retried: a lost answer would leave a second reservation behind a first.
   */
  async reserveAppend(path: string, length: number): Promise<number> {
    const file = normalizePath(path);
    checkLength(length, 'length', file);
    return this.deps.master.reserveAppend(file, length);
  }

  /** Sets the permission bits (0..0o7777) of a file or directory: its owner or a superuser may. */
  async chmod(path: string, mode: number): Promise<void> {
    const file = normalizePath(path);
    if (!Number.isInteger(mode) || mode < 0 || mode > MODE_BITS_MAX) {
      throw new GfsError('INVALID_ARGUMENT', 'mode must be an integer from 0 to 0o7777', file);
    }
    await this.deps.master.chmod(file, mode);
  }

  /** Who the master takes this client for (its token's user, groups and superuser flag). */
  async whoami(): Promise<{ user: string; groups: string[]; superuser: boolean }> {
    return this.deps.master.whoami();
  }

  /**
   * A client token for `user`, signed by the master: only a superuser may ask
   * (docs/security-users.md). `validForMs` absent: no expiry.
   */
  async createToken(request: {
    user: string;
    groups?: string[];
    superuser?: boolean;
    validForMs?: number;
  }): Promise<string> {
    return (await this.deps.master.createToken(request)).token;
  }

  /**
   * Sets the owner and/or group of a file or directory: the owner only a superuser may change; the
   * group also the owner, to a group they are in (docs/security-users.md).
   */
  async chown(path: string, owner: { user?: string; group?: string }): Promise<void> {
    const file = normalizePath(path);
    if (owner.user === undefined && owner.group === undefined) {
      throw new GfsError('INVALID_ARGUMENT', 'chown needs a user, a group or both', file);
    }
    await this.deps.master.chown(file, owner.user, owner.group);
  }

  /** Sets the modification time of a file or directory (milliseconds since 1970). */
  async utimes(path: string, mtimeMs: number): Promise<void> {
    const file = normalizePath(path);
    if (typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs) || Math.abs(mtimeMs) > MTIME_MS_ABS_MAX) {
      throw new GfsError('INVALID_ARGUMENT', 'mtimeMs must be a finite time in milliseconds', file);
    }
    await this.deps.master.utimes(file, mtimeMs);
  }

  /**
   * Cluster capacity from the live chunkservers: `capacityBytes` and `usedBytes` are raw sums
   * (every replica counts, as `gfs status` shows), `freeBytes` is how many more file bytes fit
   * with each byte stored on `replication` distinct chunkservers, `files` the number of files.
   */
  async statfs(): Promise<FsStats> {
    return this.deps.master.statfs();
  }

  async status(): Promise<ClusterStatus> {
    return this.deps.master.status();
  }

  /**
   * Every chunk (trashed files' too) against its replication goal: the under-replicated, lost and
   * corrupt ones (`gfs fsck`). NOT_READY while a restarted master still waits for chunk reports.
   */
  async fsck(): Promise<FsckReport> {
    return this.deps.master.fsck();
  }

  /** The master's recent re-replication clones, oldest first, with how each ended. */
  async cloneLog(): Promise<CloneRecord[]> {
    return this.deps.master.cloneLog();
  }

  /** The master's recent events (lease grants, chunkservers up and dead, clones), oldest first. */
  async masterEvents(): Promise<MasterEvent[]> {
    return this.deps.master.events();
  }

  /** Every chunk of a file with its version, size and replica addresses (`gfs stat --chunks`). */
  /**
   * Directory delegations (shared/protocol/delegations.ts), for a client made with a `holder`:
   * take (or renew) one, renew several, give one back, and wait for recalls.
   */
  async takeDelegation(path: string): Promise<{ granted: boolean; expiresAtMs: number; names: string[] }> {
    return this.deps.master.takeDelegation(normalizePath(path), this.requireHolder());
  }
  async renewDelegations(
    paths: string[],
  ): Promise<{ held: string[]; recalled: string[]; lost: string[]; expiresAtMs: number }> {
    return this.deps.master.renewDelegations(paths, this.requireHolder());
  }
  async returnDelegation(path: string): Promise<void> {
    await this.deps.master.returnDelegation(path, this.requireHolder());
  }
  async delegationRecalls(waitMs: number): Promise<string[]> {
    return this.deps.master.delegationRecalls(this.requireHolder(), waitMs);
  }
  private requireHolder(): string {
    if (this.holder === undefined) throw new GfsError('INVALID_ARGUMENT', 'this client holds no delegations', 'holder');
    return this.holder;
  }

  async fileChunks(path: string): Promise<FileChunk[]> {
    return this.deps.master.fileChunks(normalizePath(path));
  }

  /** The cluster's chunk size (fixed when the master's data dir was created), asked once. */
  private chunkSizeOfCluster(): Promise<number> {
    this.clusterChunkSize ??= this.deps.master.status().then(
      (status) => status.chunkSize,
      (error: unknown) => {
        this.clusterChunkSize = undefined;
        throw error;
      },
    );
    return this.clusterChunkSize;
  }

  private async appenderFor(file: string): Promise<RecordAppender> {
    const chunkSizeBytes = await this.chunkSizeOfCluster();
    const existing = this.appenders.get(file);
    if (existing !== undefined) return existing;
    let created: Promise<void> | undefined;
    const ensureFile = (again = false) => {
      if (again) created = undefined;
      created ??= this.createIfMissing(file).then(
        (entry) => {
          if (entry.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory', file);
        },
        (error: unknown) => {
          created = undefined;
          throw error;
        },
      );
      return created;
    };
    if (this.appenders.size >= APPENDERS_MAX) {
      for (const [path, appender] of this.appenders) if (appender.idle) this.appenders.delete(path);
    }
    const appender = new RecordAppender(this.deps, file, chunkSizeBytes, ensureFile);
    this.appenders.set(file, appender);
    return appender;
  }

  private async createFile(file: string): Promise<string> {
    await this.deps.master.create(file, true);
    this.forget(file);
    return file;
  }

  private async createIfMissing(file: string): Promise<Entry> {
    try {
      return await this.deps.master.create(file, false);
    } catch (error) {
      if (error instanceof GfsError && error.code === 'ALREADY_EXISTS') return this.deps.master.stat(file);
      throw error;
    }
  }

  /** Drops cached locations, leases and append targets of a path and everything below it. */
  private forget(path: string): void {
    this.deps.locator.cache.invalidatePath(path, true);
    this.deps.leases.invalidatePath(path);
    const below = path === '/' ? '/' : `${path}/`;
    for (const [file, appender] of this.appenders) {
      if (file === path || file.startsWith(below)) appender.forgetTarget();
    }
  }
}

function checkLength(value: number, what: string, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new GfsError('INVALID_ARGUMENT', `${what} must be a non-negative integer`, path);
  }
}
