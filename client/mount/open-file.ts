// One file open in the mount, shared by every descriptor open on it here: its SDK handle, what
// the master last said about it, and what this mount has changed since (gathered writes, O_APPEND
// batches, a truncate). Reads see this mount's own writes; `flush` (close) puts them on every
// replica with the length at the master; `fsync` also makes them durable there.

import type { BufferPool } from '../../shared/buffer-pool.js';
import type { Entry } from '../../shared/protocol/namespace.js';
import type { GfsClient } from '../sdk/client.js';
import type { GfsFileHandle } from '../sdk/file-handle.js';
import { AppendBuffer } from './append-buffer.js';
import type { ByteBudget } from './byte-budget.js';
import {
  READ_AHEAD_BLOCKS_MAX,
  READ_BLOCK_BYTES,
  READ_GRANULE_BYTES,
  READ_GRANULES_MAX,
  RETIRED_HANDLES_MAX,
  WRITE_DIRTY_BYTES_MAX,
  WRITE_GATHER_BYTES,
  WRITE_IDLE_SEND_MS,
  WRITE_PAGE_BYTES,
  WRITE_RANGES_IN_FLIGHT_MAX,
  WRITE_RUNS_IN_FLIGHT,
} from './limits.js';
import { ReadAhead } from './read-ahead.js';
import { type RangeSink, WriteBuffer } from './write-buffer.js';

export interface FileContext {
  client: GfsClient;
  chunkSizeBytes: number;
  budget: ByteBudget;
  /** Recycles the read caches' block buffers, mount-wide. */
  blockPool: BufferPool;
  readOnly: boolean;
  now: () => number;
}

export class OpenFile {
  /** Descriptors open on this file in this mount. */
  openCount = 0;
  private handle: Promise<GfsFileHandle> | undefined;
  /** Handles of this file under earlier names (renamed while open), or of earlier opens: fsync covers them. */
  private retired: GfsFileHandle[] = [];
  /** Set once this mount changed the file: the size it has with our changes. */
  private localSizeBytes: number | undefined;
  private localMtimeMs = 0;
  /** Written or truncated since the last fsync. */
  private unsynced = false;
  /** Created by this mount and not written since: a truncate to 0 changes nothing. */
  private createdEmpty = false;
  private readonly writes: WriteBuffer;
  private readonly appends: AppendBuffer;
  private readonly reads: ReadAhead;

  /** The master's view of the file, refreshed at every open (undefined until the first open answered). */
  private entry: Entry | undefined;

  constructor(
    public path: string,
    private readonly context: FileContext,
  ) {
    const { budget, chunkSizeBytes } = context;
    const writeRange = async (data: Buffer, offsetBytes: number) => {
      await (await this.ready()).write(data, offsetBytes);
    };
    const sink: RangeSink = {
      write: async (data, offsetBytes) => (await this.ready()).writeUnrecorded(data, offsetBytes),
      recordLength: async (endBytes) => (await this.ready()).recordLength(endBytes),
      writeWhole: async (data) => (await this.ready()).writeWhole(data),
    };
    this.writes = new WriteBuffer(sink, {
      chunkSizeBytes,
      gatherBytes: Math.min(WRITE_GATHER_BYTES, chunkSizeBytes),
      rangesInFlightMax: WRITE_RANGES_IN_FLIGHT_MAX,
      bytesInFlightMax: WRITE_RUNS_IN_FLIGHT * WRITE_GATHER_BYTES,
      dirtyBytesMax: WRITE_DIRTY_BYTES_MAX,
      pageBytes: WRITE_PAGE_BYTES,
      idleSendMs: WRITE_IDLE_SEND_MS,
      budget,
    });
    this.appends = new AppendBuffer((length) => context.client.reserveAppend(this.path, length), writeRange, {
      gatherBytes: WRITE_GATHER_BYTES,
      batchesInFlight: WRITE_RUNS_IN_FLIGHT,
      idleSendMs: WRITE_IDLE_SEND_MS,
      budget,
    });
    this.reads = new ReadAhead(async (into, offsetBytes) => (await this.ready()).readInto(into, offsetBytes), {
      blockBytes: READ_BLOCK_BYTES,
      blocksAheadMax: READ_AHEAD_BLOCKS_MAX,
      granuleBytes: READ_GRANULE_BYTES,
      granulesMax: READ_GRANULES_MAX,
      budget,
      pool: context.blockPool,
    });
  }

  /** The SDK handle, once it is open (an open that failed is tried again by the next caller). */
  ready(): Promise<GfsFileHandle> {
    if (this.handle !== undefined) return this.handle;
    const opening = this.context.client.open(this.path, this.context.readOnly ? 'r' : 'r+');
    this.handle = opening;
    opening.catch(() => {
      if (this.handle === opening) this.handle = undefined;
    });
    return opening;
  }

  get dirty(): boolean {
    return this.writes.dirty || this.appends.dirty;
  }

  get sizeBytes(): number {
    const placed = Math.max(this.localSizeBytes ?? this.entry?.size ?? 0, this.appends.endBytes);
    return placed + this.appends.unplacedBytes;
  }

  /** What a stat shows: the master's entry with this mount's changes on top (undefined before the first open answered). */
  attributes(): Entry | undefined {
    const entry = this.entry;
    if (entry === undefined) return undefined;
    const mtimeMs = Math.max(entry.mtimeMs, this.localMtimeMs);
    return { ...entry, size: this.sizeBytes, mtimeMs, mtime: new Date(mtimeMs).toISOString() };
  }

  /** A new open (close-to-open): `entry` is fresh from the master, and what was read ahead may be stale. */
  reopened(entry: Entry): void {
    this.entry = entry;
    if (!this.dirty) this.localSizeBytes = undefined;
    this.reads.reset();
  }

  /** The last descriptor closed: what was read goes, and its memory back to the mount's budget. */
  released(): void {
    this.reads.reset();
  }

  /** A stat from the master while open: taken unless our own changes are still on their way. */
  observed(entry: Entry): void {
    if (this.dirty || this.entry === undefined) return;
    this.entry = entry;
    this.localSizeBytes = undefined;
  }

  /** A change this mount made at the master (chmod, utimes): shown at once. */
  patched(changes: Pick<Partial<Entry>, 'mode' | 'mtimeMs'>): void {
    if (this.entry === undefined) return;
    this.entry = { ...this.entry, ...changes };
    if (changes.mtimeMs !== undefined) this.localMtimeMs = 0;
  }

  /** Opened right after this mount created it: empty, and `handle` (from the create) serves it. */
  markCreated(handle: GfsFileHandle): void {
    this.createdEmpty = true;
    this.handle ??= Promise.resolve(handle);
  }

  /** Earlier handles (fsync must still reach what they wrote). */
  adopt(handles: readonly GfsFileHandle[]): void {
    this.retired.push(...handles);
    this.unsynced ||= handles.length > 0;
    this.retired.splice(0, Math.max(0, this.retired.length - RETIRED_HANDLES_MAX));
  }

  /** Handles fsync would need, when the file was written since the last fsync; else none. */
  async unsyncedHandles(): Promise<GfsFileHandle[]> {
    if (!this.unsynced) return [];
    const current = await this.handle?.catch(() => undefined);
    return current === undefined ? [...this.retired] : [...this.retired, current];
  }

  async write(data: Buffer, offsetBytes: number, append: boolean): Promise<void> {
    this.createdEmpty = false;
    this.unsynced = true;
    this.reads.reset();
    if (append) {
      await this.writes.drain();
      await this.appends.append(data);
    } else {
      await this.appends.drain();
      await this.writes.write(data, offsetBytes);
      this.localSizeBytes = Math.max(this.localSizeBytes ?? this.entry?.size ?? 0, offsetBytes + data.byteLength);
    }
    this.localMtimeMs = this.context.now();
  }

  /** Copies into `into` the bytes at `offsetBytes` (fewer at the end of the file); answers how many. */
  async read(into: Buffer, offsetBytes: number): Promise<number> {
    // Bytes still gathered here are newer than the cluster's: let them land first.
    if (this.dirty) await Promise.all([this.writes.drain(), this.appends.drain()]);
    if (offsetBytes + into.byteLength > this.sizeBytes && this.localSizeBytes === undefined) {
      // Past the end we know: another mount may have appended since the open (`tail -f`).
      this.observed(await this.context.client.stat(this.path));
    }
    return this.reads.read(into, offsetBytes, this.sizeBytes);
  }

  /** close(2): every byte written here is on every replica and the length at the master. */
  async flush(): Promise<void> {
    const results = await Promise.allSettled([this.writes.flush(), this.appends.flush()]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  }

  /** fsync(2): flush, then every replica that took this file's writes syncs them to disk. */
  async fsync(): Promise<void> {
    await this.flush();
    const handles = await this.unsyncedHandles();
    await Promise.all(handles.map((handle) => handle.sync()));
    this.unsynced = false;
    this.retired = [];
  }

  async truncate(lengthBytes: number): Promise<void> {
    await this.flush();
    // Right after our own create (open with O_TRUNC of a file we just made) there is nothing to cut.
    if (!(this.createdEmpty && lengthBytes === 0)) {
      await this.context.client.truncate(this.path, lengthBytes);
      this.unsynced = true;
    }
    this.localSizeBytes = lengthBytes;
    this.localMtimeMs = this.context.now();
    this.reads.reset();
  }

  /** The file was renamed: later writes go to the new name; fsync still covers the old handle. */
  renamed(path: string): void {
    const previous = this.handle;
    this.path = path;
    this.handle = undefined;
    previous?.then(
      (handle) => this.adopt([handle]),
      () => undefined,
    );
  }
}
