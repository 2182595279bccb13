// The replicas this chunkserver holds: DIR/chunks/<handle> (bytes verbatim, sparse),
// <handle>.version (durable) and <handle>.crc (4 bytes per 64 KiB block), plus the in-memory
// table {handle → version, size, CRCs} rebuilt by a scan at start-up. Every operation on a chunk
// runs under that chunk's readers/writer lock.

import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../../shared/durable-file.js';
import { GfsError } from '../../shared/errors.js';
import { CHUNK_SIZE_BYTES_DEFAULT } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import type { ChunkReport } from '../../shared/protocol/heartbeat.js';
import {
  blockCountOf,
  type ChunkCrcState,
  CRC_BYTES,
  readVerified,
  truncateChecksummed,
  writeChecksummed,
} from './chunk-file.js';
import { FileCache } from './file-cache.js';
import { checkHandle, isValidHandle } from './handle.js';
import { RwLock } from './rw-lock.js';
import { readVersion, syncVersion, writeVersionDurably, writeVersionUnsynced } from './version-file.js';

/**
 * Chunk creations of one batch in flight at once. Each creates three files (inodes are not cheap:
 * ext4 scans its inode bitmap past recently deleted ones) on libuv's small thread pool; a whole
 * batch at once would queue a client's write behind all of them, which is what creating chunks
 * ahead of demand was meant to keep off the client's path.
 */
const BATCH_CREATIONS_IN_FLIGHT = 1;

/** Shared, never written to: the source of padding bytes. */
const PAD_ZEROS = Buffer.alloc(1024 * 1024);

interface Chunk extends ChunkCrcState {
  version: number;
  lock: RwLock;
  /**
   * The version file and its directory entry are known to be on disk. False for chunks created in
   * a batch (made durable by their first sync, with their data) and for chunks found at start-up.
   */
  versionSynced: boolean;
}

export interface ChunkStoreOptions {
  dataDir: string;
  logger: Logger;
  /** Called whenever a checksum check fails, before the error reaches the caller. */
  onCorruption?: (handle: string) => void;
}

export class ChunkStore {
  /** Set from the master's registration reply; writes past it are refused. */
  chunkSizeBytes = CHUNK_SIZE_BYTES_DEFAULT;
  private readonly chunks = new Map<string, Chunk>();
  private readonly files = new FileCache();
  /** Locks of handles being created, so two grants for a new chunk do not race. */
  private readonly creating = new Map<string, RwLock>();
  /** Handles being copied in by importChunk (not chunks yet). */
  private readonly importing = new Set<string>();
  /** Local copies in progress by their new handle, so a retried order joins the running copy. */
  private readonly copying = new Map<string, Promise<number>>();

  private constructor(
    readonly chunkDir: string,
    private readonly options: ChunkStoreOptions,
  ) {}

  static async open(options: ChunkStoreOptions): Promise<ChunkStore> {
    const store = new ChunkStore(join(options.dataDir, 'chunks'), options);
    await mkdir(store.chunkDir, { recursive: true });
    await store.scan();
    return store;
  }

  versionOf(handle: string): number | undefined {
    return this.chunks.get(handle)?.version;
  }

  /** Bytes the replica holds (its length; record append continues here). */
  sizeOf(handle: string): number {
    return this.chunkOf(handle).sizeBytes;
  }

  get count(): number {
    return this.chunks.size;
  }

  /** Bytes of chunk data this server holds (its share of the cluster, as `gfs status` shows it). */
  storedBytes(): number {
    let total = 0;
    for (const chunk of this.chunks.values()) total += chunk.sizeBytes;
    return total;
  }

  handles(): string[] {
    return [...this.chunks.keys()];
  }

  reports(): ChunkReport[] {
    return [...this.chunks.values()].map((chunk) => ({
      handle: chunk.handle,
      version: chunk.version,
      size: chunk.sizeBytes,
    }));
  }

  /**
   * Sets the chunk's version durably before returning (GFS: the master must be able to tell a
   * stale replica later). `create` makes a new empty chunk; a lower version is STALE_VERSION.
   */
  async setVersion(handle: string, version: number, create: boolean): Promise<void> {
    checkHandle(handle);
    const existing = this.chunks.get(handle);
    if (existing === undefined) {
      if (!create) throw new GfsError('CHUNK_NOT_FOUND', 'no replica of this chunk here', handle);
      await this.createChunk(handle, version);
      return;
    }
    await existing.lock.write(async () => {
      this.stillHeld(existing);
      if (version < existing.version) {
        throw new GfsError('STALE_VERSION', `stored version ${existing.version} is newer than ${version}`, handle);
      }
      if (version === existing.version) return;
      await writeVersionDurably(this.chunkDir, handle, version);
      existing.version = version;
      existing.versionSynced = true;
    });
  }

  /**
   * Creates new empty chunks at `version`, many at once (the master's pool of chunks made ahead of
   * demand). Their version files are written but not fsynced: a chunk's existence becomes durable
   * with its data, at its first `sync` (until then a crash of the machine loses it, as it loses the
   * data written to it, which is acknowledged in the page cache too). A chunk that exists (or is
   * being created) goes through setVersion's rules instead. One outcome per handle: undefined, or
   * the error.
   */
  async createChunks(handles: readonly string[], version: number): Promise<unknown[]> {
    const fresh = new Set<string>();
    for (const handle of handles) {
      if (isValidHandle(handle) && !this.chunks.has(handle) && !this.creating.has(handle)) fresh.add(handle);
    }
    const lock = new RwLock();
    for (const handle of fresh) this.creating.set(handle, lock);
    try {
      const written = await settleEach([...fresh], BATCH_CREATIONS_IN_FLIGHT, async (handle) => {
        // The data and checksum files are made now too (empty; leftovers of an earlier replica of
        // the handle are cut), so the chunk's first write opens files instead of creating them.
        const made = await Promise.allSettled([
          writeVersionUnsynced(this.chunkDir, handle, version),
          writeFile(this.pathOf(handle), '', { flag: 'w' }),
          writeFile(this.pathOf(handle, '.crc'), '', { flag: 'w' }),
        ]);
        for (const result of made) if (result.status === 'rejected') throw result.reason;
      });
      const failures = new Map<string, unknown>();
      [...fresh].forEach((handle, i) => {
        const result = written[i];
        if (result?.status === 'rejected') failures.set(handle, result.reason);
        else
          this.chunks.set(handle, {
            handle,
            version,
            sizeBytes: 0,
            crcs: [],
            lock: new RwLock(),
            versionSynced: false,
          });
      });
      return await Promise.all(
        handles.map(async (handle) => {
          if (fresh.has(handle)) return failures.get(handle);
          return this.setVersion(handle, version, true).then(
            () => undefined,
            (error: unknown) => error,
          );
        }),
      );
    } finally {
      for (const handle of fresh) if (this.creating.get(handle) === lock) this.creating.delete(handle);
    }
  }

  async read(handle: string, offsetBytes: number, lengthBytes: number): Promise<Buffer> {
    return (await this.readWithSize(handle, offsetBytes, lengthBytes)).bytes;
  }

  /** A verified read and the replica's length at that moment (both under the chunk's lock). */
  async readWithSize(
    handle: string,
    offsetBytes: number,
    lengthBytes: number,
  ): Promise<{ bytes: Buffer; sizeBytes: number }> {
    const chunk = this.chunkOf(handle);
    return chunk.lock.read(() =>
      this.files.with(this.pathOf(this.stillHeld(chunk)), async (file) => ({
        bytes: await this.detectCorruption(handle, readVerified(file, chunk, offsetBytes, lengthBytes)),
        sizeBytes: chunk.sizeBytes,
      })),
    );
  }

  /**
   * A replica copied from another chunkserver (re-replication). `fill` hands its bytes to `write`,
   * which is the same checksummed write every mutation goes through, into files that are not a
   * chunk yet: nothing reads or reports them. Once `fill` is done, the data and checksums are
   * fsynced and the version file is written (durably) last: that is what makes them a chunk. A
   * crash before leaves files without a version, which the start-up scan removes; a failure
   * removes them at once. Returns the replica's length.
   */
  async importChunk(
    handle: string,
    version: number,
    fill: (write: (offsetBytes: number, bytes: Buffer) => Promise<void>) => Promise<void>,
  ): Promise<number> {
    checkHandle(handle);
    if (this.chunks.has(handle) || this.importing.has(handle)) {
      throw new GfsError('ALREADY_EXISTS', 'this chunkserver already has a replica of the chunk', handle);
    }
    this.importing.add(handle);
    const state: ChunkCrcState = { handle, sizeBytes: 0, crcs: [] };
    try {
      await this.removeFiles(handle);
      await this.files.with(this.pathOf(handle), (dataFile) =>
        this.files.with(this.pathOf(handle, '.crc'), async (crcFile) => {
          await fill(async (offsetBytes, bytes) => {
            if (offsetBytes + bytes.length > this.chunkSizeBytes) {
              throw new GfsError('INVALID_ARGUMENT', `copy past the chunk size ${this.chunkSizeBytes}`, handle);
            }
            await writeChecksummed(dataFile, crcFile, state, offsetBytes, [bytes], bytes.length);
          });
          await dataFile.sync();
          await crcFile.sync();
        }),
      );
      if (this.chunks.has(handle)) {
        throw new GfsError('ALREADY_EXISTS', 'the chunk was created here meanwhile', handle);
      }
      await writeVersionDurably(this.chunkDir, handle, version);
      this.chunks.set(handle, { ...state, version, lock: new RwLock(), versionSynced: true });
      return state.sizeBytes;
    } catch (error) {
      if (!this.chunks.has(handle)) await this.removeFiles(handle).catch(() => undefined);
      throw error;
    } finally {
      this.importing.delete(handle);
    }
  }

  /**
   * Copy-on-write (a snapshot's shared chunk about to be written): copies the replica `from` at
   * `version` to the new handle `to` on this server. The data and checksum files are copied as
   * they are (a reflink where the file system has them) under `from`'s read lock, so a corrupt
   * block stays detectable in the copy; both are fsynced and the version file is written last, as
   * importChunk does. Idempotent: `to` already at `version` (a retried order) answers its length;
   * a retry during the copy waits for it. Returns the copy's length.
   */
  async copyLocal(from: string, to: string, version: number): Promise<number> {
    checkHandle(to);
    const existing = this.chunks.get(to);
    if (existing !== undefined) {
      if (existing.version === version) return existing.sizeBytes;
      throw new GfsError('ALREADY_EXISTS', `this chunkserver holds ${to} at version ${existing.version}`, to);
    }
    const running = this.copying.get(to);
    if (running !== undefined) return running;
    if (this.importing.has(to)) throw new GfsError('ALREADY_EXISTS', 'a replica of the chunk is arriving', to);
    const copy = this.copyNow(this.chunkOf(from), to, version).finally(() => this.copying.delete(to));
    this.copying.set(to, copy);
    return copy;
  }

  /** `blockCrcs`, when given, are the CRCs of the data's 64 KiB blocks counted from its start. */
  async write(
    handle: string,
    offsetBytes: number,
    pieces: readonly Buffer[],
    lengthBytes: number,
    blockCrcs?: readonly number[],
  ): Promise<void> {
    const chunk = this.chunkOf(handle);
    if (offsetBytes + lengthBytes > this.chunkSizeBytes) {
      throw new GfsError('INVALID_ARGUMENT', `write past the chunk size ${this.chunkSizeBytes}`, handle);
    }
    await chunk.lock.write(() =>
      this.files.withBoth(this.pathOf(this.stillHeld(chunk)), this.pathOf(handle, '.crc'), (dataFile, crcFile) =>
        this.detectCorruption(
          handle,
          writeChecksummed(dataFile, crcFile, chunk, offsetBytes, pieces, lengthBytes, blockCrcs),
        ),
      ),
    );
  }

  /**
   * Record-append padding: bytes [offsetBytes, chunk end) read as zeros afterwards. Past the
   * replica's end only the last byte is written (the file stays sparse); bytes it already holds
   * there (left by a failed append) are overwritten with zeros.
   */
  async pad(handle: string, offsetBytes: number): Promise<void> {
    const endBytes = this.chunkSizeBytes;
    if (offsetBytes >= endBytes) return;
    if (this.chunkOf(handle).sizeBytes <= offsetBytes) {
      await this.write(handle, endBytes - 1, [Buffer.alloc(1)], 1);
      return;
    }
    const pieces: Buffer[] = [];
    for (let at = offsetBytes; at < endBytes; at += PAD_ZEROS.length) {
      pieces.push(PAD_ZEROS.subarray(0, Math.min(PAD_ZEROS.length, endBytes - at)));
    }
    await this.write(handle, offsetBytes, pieces, endBytes - offsetBytes);
  }

  /**
   * Truncation: the replica ends at `offsetBytes` (nothing happens when it is already shorter), so
   * the cut bytes read as zeros from now on, even once later writes grow the chunk again.
   */
  async truncate(handle: string, offsetBytes: number): Promise<void> {
    const chunk = this.chunkOf(handle);
    if (offsetBytes > this.chunkSizeBytes) {
      throw new GfsError('INVALID_ARGUMENT', `truncate past the chunk size ${this.chunkSizeBytes}`, handle);
    }
    await chunk.lock.write(() =>
      this.files.with(this.pathOf(this.stillHeld(chunk)), (dataFile) =>
        this.files.with(this.pathOf(handle, '.crc'), (crcFile) =>
          this.detectCorruption(handle, truncateChecksummed(dataFile, crcFile, chunk, offsetBytes)),
        ),
      ),
    );
  }

  /**
   * fsyncs the chunk file and its checksums (SDK `sync()`), and the first time also its version
   * file and directory (a chunk created in a batch, or found at start-up, may not have them on disk).
   */
  async sync(handle: string): Promise<void> {
    const chunk = this.chunkOf(handle);
    await chunk.lock.read(async () => {
      await this.files.with(this.pathOf(this.stillHeld(chunk)), (file) => file.sync());
      await this.files.with(this.pathOf(handle, '.crc'), (file) => file.sync());
      if (chunk.versionSynced) return;
      await syncVersion(this.chunkDir, handle);
      await syncDirectory(this.chunkDir);
      chunk.versionSynced = true;
    });
  }

  /** Removes the replica (version first, so a crash midway leaves an orphan file, not a chunk). */
  async delete(handle: string): Promise<boolean> {
    const chunk = this.chunks.get(handle);
    if (chunk === undefined) return false;
    await chunk.lock.write(async () => {
      if (this.chunks.get(handle) !== chunk) return;
      this.chunks.delete(handle);
      await unlinkQuietly(this.pathOf(handle, '.version'));
      await this.files.drop(this.pathOf(handle));
      await this.files.drop(this.pathOf(handle, '.crc'));
      await unlinkQuietly(this.pathOf(handle));
      await unlinkQuietly(this.pathOf(handle, '.crc'));
    });
    return true;
  }

  async close(): Promise<void> {
    await this.files.closeAll();
  }

  private async createChunk(handle: string, version: number): Promise<void> {
    let lock = this.creating.get(handle);
    if (lock === undefined) {
      lock = new RwLock();
      this.creating.set(handle, lock);
    }
    const creation = lock;
    try {
      await creation.write(async () => {
        if (this.chunks.has(handle)) {
          // A concurrent grant created it meanwhile: fall back to the version rules.
          await this.setVersion(handle, version, true);
          return;
        }
        // Leftovers of an earlier replica of the same handle must not be read as this chunk.
        await this.removeFiles(handle);
        await writeVersionDurably(this.chunkDir, handle, version);
        this.chunks.set(handle, { handle, version, sizeBytes: 0, crcs: [], lock: new RwLock(), versionSynced: true });
        await syncDirectory(this.chunkDir);
      });
    } finally {
      if (creation.idle && this.creating.get(handle) === creation) this.creating.delete(handle);
    }
  }

  private async copyNow(source: Chunk, to: string, version: number): Promise<number> {
    const from = source.handle;
    let copied: ChunkCrcState | undefined;
    try {
      await source.lock.read(async () => {
        this.stillHeld(source);
        if (source.version !== version) {
          throw new GfsError(
            'STALE_VERSION',
            `replica is at version ${source.version}, the copy asks ${version}`,
            from,
          );
        }
        await this.removeFiles(to);
        // A chunk nothing was written to has no data or checksum file yet: its copy has none either.
        for (const suffix of ['', '.crc']) {
          await copyFile(this.pathOf(from, suffix), this.pathOf(to, suffix), constants.COPYFILE_FICLONE).catch(
            (error: NodeJS.ErrnoException) => {
              if (error.code !== 'ENOENT') throw error;
            },
          );
        }
        copied = { handle: to, sizeBytes: source.sizeBytes, crcs: [...source.crcs] };
      });
      for (const suffix of ['', '.crc']) await this.files.with(this.pathOf(to, suffix), (file) => file.sync());
      await writeVersionDurably(this.chunkDir, to, version);
    } catch (error) {
      await this.removeFiles(to).catch(() => undefined);
      await unlinkQuietly(this.pathOf(to, '.version')).catch(() => undefined);
      throw error;
    }
    const state = copied as ChunkCrcState;
    this.chunks.set(to, { ...state, version, lock: new RwLock(), versionSynced: true });
    return state.sizeBytes;
  }

  /** Closes and removes a handle's data and checksum files (not its version file). */
  private async removeFiles(handle: string): Promise<void> {
    await this.files.drop(this.pathOf(handle));
    await this.files.drop(this.pathOf(handle, '.crc'));
    await unlinkQuietly(this.pathOf(handle));
    await unlinkQuietly(this.pathOf(handle, '.crc'));
  }

  private chunkOf(handle: string): Chunk {
    checkHandle(handle);
    const chunk = this.chunks.get(handle);
    if (chunk === undefined) throw new GfsError('CHUNK_NOT_FOUND', 'no replica of this chunk here', handle);
    return chunk;
  }

  /**
   * The chunk's handle, checked under its lock: a delete that ran while the caller waited must not
   * let it touch (and so re-create) the removed files.
   */
  private stillHeld(chunk: Chunk): string {
    if (this.chunks.get(chunk.handle) !== chunk) {
      throw new GfsError('CHUNK_NOT_FOUND', 'replica was deleted meanwhile', chunk.handle);
    }
    return chunk.handle;
  }

  private pathOf(handle: string, suffix = ''): string {
    return join(this.chunkDir, `${handle}${suffix}`);
  }

  private async detectCorruption<T>(handle: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (error instanceof GfsError && error.code === 'CHECKSUM_MISMATCH') this.options.onCorruption?.(handle);
      throw error;
    }
  }

  /** Rebuilds the table from the directory; drops temporaries and files without a version. */
  private async scan(): Promise<void> {
    const names = await readdir(this.chunkDir);
    const versioned = new Set(names.filter((n) => n.endsWith('.version')).map((n) => n.slice(0, -8)));
    for (const name of names) {
      const base = name.replace(/\.(crc|version\.tmp)$/, '');
      if (name.endsWith('.tmp') || (!name.endsWith('.version') && !versioned.has(base))) {
        this.options.logger.warn({ file: name }, 'removing leftover file without a chunk version');
        await unlinkQuietly(join(this.chunkDir, name));
      }
    }
    for (const handle of versioned) {
      if (!isValidHandle(handle)) continue;
      if ((await stat(this.pathOf(handle, '.version'))).size === 0) {
        // A batch-created chunk never synced, cut short by a crash: it never held synced data.
        this.options.logger.warn({ handle }, 'removing a chunk whose version file is empty');
        await this.removeFiles(handle);
        await unlinkQuietly(this.pathOf(handle, '.version'));
        continue;
      }
      const version = await readVersion(this.chunkDir, handle);
      if (version === undefined) {
        this.options.logger.warn({ handle }, 'unreadable version file; skipping replica');
        continue;
      }
      const sizeBytes = await stat(this.pathOf(handle)).then(
        (s) => s.size,
        () => 0,
      );
      const crcBytes = await readFile(this.pathOf(handle, '.crc')).catch(() => Buffer.alloc(0));
      const blocks = Math.min(blockCountOf(sizeBytes), Math.floor(crcBytes.length / CRC_BYTES));
      const crcs: number[] = [];
      for (let i = 0; i < blocks; i++) crcs.push(crcBytes.readUInt32LE(i * CRC_BYTES));
      this.chunks.set(handle, { handle, version, sizeBytes, crcs, lock: new RwLock(), versionSynced: false });
    }
    this.options.logger.info({ chunks: this.chunks.size, dir: this.chunkDir }, 'chunk table loaded');
  }
}

/** Runs `work` on every item, at most `inFlight` at a time; outcomes in item order. */
async function settleEach<T>(
  items: readonly T[],
  inFlight: number,
  work: (item: T) => Promise<void>,
): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        await work(items[i] as T);
        results[i] = { status: 'fulfilled', value: undefined };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
  return results;
}

async function unlinkQuietly(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
