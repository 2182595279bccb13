// An open file, in the spirit of fs.promises' FileHandle: positioned reads and writes, a file
// position that advances like fs, append mode, and `sync()` which makes every chunk this handle
// wrote durable on every replica that holds it.

import { GfsError } from '../../shared/errors.js';
import { isUnreachable } from '../../shared/http/client.js';
import { PIECE_BYTES_DEFAULT } from '../../shared/limits.js';
import { syncRoute } from '../../shared/protocol/data.js';
import { tokenHeaders } from './chunk-token.js';
import { mutationPatienceMs } from './chunk-write.js';
import type { SdkDeps } from './deps.js';
import { PieceWriter } from './piece-writer.js';
import { splitIntoPieces } from './pieces.js';
import { type ByteRange, readRange, readRangeToBuffer } from './range-reader.js';
import { fitsReserved, type ReservedChunk, writeIntoReserved } from './reserved-chunk.js';
import { withRetries } from './retry.js';
import { mergeWritten, rememberWritten, type WrittenChunk, type WrittenChunks } from './written-chunks.js';

export type OpenMode = 'r' | 'r+' | 'w' | 'a';

export class GfsFileHandle {
  private positionBytes = 0;
  private closed = false;
  /** The chunks this handle wrote (replicas, write token), for `sync()`. */
  private readonly written: WrittenChunks = new Map();

  constructor(
    private readonly deps: SdkDeps,
    readonly path: string,
    readonly mode: OpenMode,
    private knownSizeBytes: number,
    private readonly rotation: number,
    /** The chunk this handle's create reserved for the file's chunk 0, until a write uses or passes it. */
    private reserved?: ReservedChunk,
  ) {}

  /** Reads up to `length` bytes at `position` (default: the handle's position, which then advances). */
  async read(length: number, position?: number): Promise<Buffer> {
    const range = await this.rangeOf(length, position);
    const data =
      range.startBytes >= range.endBytes
        ? Buffer.alloc(0)
        : await readRangeToBuffer(this.deps, this.path, range, this.rotation);
    if (position === undefined) this.positionBytes = range.startBytes + data.byteLength;
    return data;
  }

  /**
   * Reads up to `buffer.byteLength` bytes at `position` into `buffer`, as fs' `read(buffer)`:
   * answers the bytes read (fewer only at the end of the file). Nothing is allocated per read, so
   * a caller that reuses its buffers keeps the garbage collector out of a long read.
   */
  async readInto(buffer: Buffer, position?: number): Promise<number> {
    const range = await this.rangeOf(buffer.byteLength, position);
    let readBytes = 0;
    if (range.startBytes < range.endBytes) {
      for await (const part of readRange(this.deps, this.path, range, this.rotation, buffer)) {
        readBytes += part.byteLength;
      }
    }
    if (position === undefined) this.positionBytes = range.startBytes + readBytes;
    return readBytes;
  }

  /** [position, position + length) clamped to the file's size (asking the master when past what we know). */
  private async rangeOf(length: number, position: number | undefined): Promise<ByteRange> {
    this.checkOpen();
    checkCount(length, 'length', this.path);
    const startBytes = position ?? this.positionBytes;
    checkCount(startBytes, 'position', this.path);
    const chunkSizeBytes = await this.deps.locator.chunkSize(this.path);
    // Past what we know of the file: ask the master, another client may have written more.
    if (startBytes + length > this.knownSizeBytes) {
      const extent = await this.deps.locator.refresh(this.path, Math.floor(startBytes / chunkSizeBytes));
      this.knownSizeBytes = Math.max(this.knownSizeBytes, extent.sizeBytes);
    }
    return {
      startBytes,
      endBytes: Math.max(startBytes, Math.min(startBytes + length, this.knownSizeBytes)),
      chunkSizeBytes,
    };
  }

  /**
   * Writes `data` at `position` (default: the handle's position; in 'a' mode always the file's
   * end). Resolves with the bytes written once every replica has them and the master has
   * recorded the new length.
   */
  async write(data: Uint8Array | string, position?: number): Promise<number> {
    this.checkWritable();
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let startBytes: number;
    if (this.mode === 'a') {
      // The master reserves the range atomically: appends from other handles and clients land
      // after it, none over it (a stat of the size and a write would race them).
      startBytes =
        bytes.byteLength === 0
          ? (await this.deps.master.stat(this.path)).size
          : await this.deps.master.reserveAppend(this.path, bytes.byteLength);
    } else {
      startBytes = position ?? this.positionBytes;
      checkCount(startBytes, 'position', this.path);
    }
    await this.writeData(bytes, startBytes);
    const endBytes = startBytes + bytes.byteLength;
    if (bytes.byteLength > 0) await this.recordLength(endBytes);
    if (position === undefined || this.mode === 'a') this.positionBytes = endBytes;
    return bytes.byteLength;
  }

  /**
   * Writes `data` at `position` on every replica like `write`, but leaves the file's length (and
   * mtime) at the master as they are: the caller records them afterwards with `recordLength`,
   * once for many writes (each length change is a logged record at the master). Until then other
   * clients see the old length, so bytes past it are not visible yet. Not in 'a' mode.
   */
  async writeUnrecorded(data: Uint8Array, position: number): Promise<void> {
    this.checkWritable();
    if (this.mode === 'a') throw new GfsError('INVALID_ARGUMENT', 'an append handle writes at the end', this.path);
    checkCount(position, 'position', this.path);
    await this.writeData(data, position);
  }

  /**
   * Writes `data` at offset 0 and records the length, like `write(data, 0)`, for a file this
   * handle's create made and nothing has written since (the mount's small file at its first
   * close). With the chunk the create reserved, still in time: one write to its replicas and one
   * master call that makes it the file's chunk 0 and records the length, instead of a lease
   * request (allocating the chunk), the write and the extend.
   */
  async writeWhole(data: Uint8Array): Promise<void> {
    this.checkWritable();
    if (this.mode === 'a') throw new GfsError('INVALID_ARGUMENT', 'an append handle writes at the end', this.path);
    const reserved = this.reserved;
    this.reserved = undefined;
    if (reserved !== undefined && fitsReserved(reserved, data.byteLength, Date.now())) {
      const written = await writeIntoReserved(this.deps, this.path, reserved, data);
      if (written !== undefined) {
        rememberWritten(this.written, written);
        this.knownSizeBytes = Math.max(this.knownSizeBytes, data.byteLength);
        return;
      }
    }
    await this.writeData(data, 0);
    if (data.byteLength > 0) await this.recordLength(data.byteLength);
  }

  /**
   * Records at the master that the file reaches at least `endBytes` (it never shrinks it), and
   * sets its mtime: what `write` does after the bytes landed, for writes made with `writeUnrecorded`.
   */
  async recordLength(endBytes: number): Promise<void> {
    this.checkWritable();
    checkCount(endBytes, 'endBytes', this.path);
    const { size } = await withRetries(() => this.deps.master.extend(this.path, endBytes));
    this.knownSizeBytes = Math.max(this.knownSizeBytes, size, endBytes);
  }

  /**
   * Flushes every chunk this handle wrote to stable storage on every replica that took the writes
   * and still counts. A replica that cannot be reached is waited for as a write waits for one:
   * until it answers, or the master declares its chunkserver dead and stops listing it. The bytes
   * are then durable on every replica the chunk has, and the master re-replicates from them.
   */
  async sync(): Promise<void> {
    this.checkOpen();
    const calls: Promise<unknown>[] = [];
    for (const [handle, chunk] of this.written) {
      for (const replica of chunk.replicas) calls.push(this.syncReplica(handle, chunk, replica));
    }
    await Promise.all(calls);
  }

  private async syncReplica(handle: string, chunk: WrittenChunk, replica: string): Promise<void> {
    let dropped = false;
    await withRetries(
      async () => {
        if (dropped) return;
        await this.deps.rpc.call(replica, syncRoute, { handle }, syncRoute.url, tokenHeaders(chunk.token));
      },
      {
        retriesMax: 3,
        patienceMs: (error) =>
          isUnreachable(error) && error.subject === replica ? mutationPatienceMs(this.deps, error) : 0,
        onRetry: async (error) => {
          if (error.code === 'TOKEN_EXPIRED') await this.renewToken(handle, chunk);
          else if (isUnreachable(error)) dropped = await this.masterDropped(handle, chunk.chunkIndex, replica);
        },
        logger: this.deps.logger,
        what: `sync of chunk ${chunk.chunkIndex} of ${this.path} on ${replica}`,
      },
    );
  }

  /** Whether the master no longer lists `replica` for the chunk (its chunkserver was declared dead). */
  private async masterDropped(handle: string, chunkIndex: number, replica: string): Promise<boolean> {
    try {
      await this.deps.locator.refresh(this.path, chunkIndex);
    } catch {
      return false;
    }
    const current = this.deps.locator.cache.get(this.path, chunkIndex);
    return current?.handle === handle && !current.replicas.includes(replica);
  }

  /**
   * A new write token for a chunk this handle wrote long ago (its token expired before the sync):
   * the file's lease of the chunk's index, when that is still the same chunk. Otherwise (a
   * snapshot's copy-on-write gave the index another chunk) the old token stays, and the sync fails
   * with TOKEN_EXPIRED.
   */
  private async renewToken(handle: string, chunk: WrittenChunk): Promise<void> {
    this.deps.leases.invalidate(this.path, chunk.chunkIndex);
    const grant = await this.deps.leases.get(this.path, chunk.chunkIndex).catch(() => undefined);
    if (grant?.handle === handle) chunk.token = grant.token;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Puts `bytes` at `startBytes` on every replica (pieces in flight in parallel), remembering the chunks for `sync()`. */
  private async writeData(bytes: Uint8Array, startBytes: number): Promise<void> {
    // A write the usual way allocates chunk 0 if it is missing: the reservation is of no use then.
    this.reserved = undefined;
    const chunkSizeBytes = await this.deps.locator.chunkSize(this.path);
    const writer = new PieceWriter(this.deps, this.path);
    for (const piece of splitIntoPieces(startBytes, bytes.byteLength, chunkSizeBytes, PIECE_BYTES_DEFAULT)) {
      const from = piece.fileOffsetBytes - startBytes;
      await writer.submit(piece, bytes.subarray(from, from + piece.lengthBytes));
    }
    try {
      await writer.drain();
    } finally {
      mergeWritten(this.written, writer.written);
    }
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.mode === 'r') throw new GfsError('INVALID_ARGUMENT', 'file is open for reading only', this.path);
  }

  private checkOpen(): void {
    if (this.closed) throw new GfsError('INVALID_ARGUMENT', 'file handle is closed', this.path);
  }
}

function checkCount(value: number, what: string, path: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new GfsError('INVALID_ARGUMENT', `${what} must be a non-negative integer`, path);
  }
}
