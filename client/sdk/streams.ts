// Node streams over gfs files. The read stream pulls ordered pieces from the range reader; the
// write stream gathers what it is given into pieces (cut at chunk boundaries) and keeps a bounded
// number in flight, so a fast producer is held back (backpressure) rather than buffered. A file
// that ends within its first piece goes whole into the chunk its create reserved, when there is
// one (reserved-chunk.ts): one write and one master call at the end instead of a lease request, a
// new chunk, a push, a write and an extend.

import { Readable, Writable } from 'node:stream';
import { PIECE_BYTES_DEFAULT } from '../../shared/limits.js';
import type { SdkDeps } from './deps.js';
import { PieceWriter } from './piece-writer.js';
import { pieceAt } from './pieces.js';
import { readRange } from './range-reader.js';
import { fitsReserved, type ReservedChunk, writeIntoReserved } from './reserved-chunk.js';
import { withRetries } from './retry.js';

export interface ReadStreamOptions {
  /** First byte to read (default 0). */
  start?: number;
  /** Last byte to read, inclusive, as in `fs.createReadStream` (default: the end of the file). */
  end?: number;
}

/**
 * Reads a file (or a range of it). Like `fs.createReadStream` it opens eagerly: a missing file is
 * an 'error' event even before anyone reads. The size is the master's at that moment.
 */
export class GfsReadStream extends Readable {
  private pieces: AsyncGenerator<Buffer> | undefined;

  constructor(
    private readonly deps: SdkDeps,
    readonly path: string,
    private readonly options: ReadStreamOptions,
    private readonly rotation: number,
  ) {
    super();
  }

  override _construct(callback: (error?: Error | null) => void): void {
    const startBytes = this.options.start ?? 0;
    this.deps.locator.extentAt(this.path, startBytes).then(({ sizeBytes, chunkSizeBytes }) => {
      const end = this.options.end;
      const endBytes = Math.min(sizeBytes, end === undefined ? sizeBytes : end + 1);
      this.pieces = readRange(this.deps, this.path, { startBytes, endBytes, chunkSizeBytes }, this.rotation);
      callback();
    }, callback);
  }

  override _read(): void {
    const pieces = this.pieces;
    if (pieces === undefined) return;
    pieces.next().then(
      (next) => this.push(next.done ? null : next.value),
      (error: unknown) => this.destroy(error as Error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Stops starting new pieces; those in flight finish and are dropped.
    const pieces = this.pieces;
    this.pieces = undefined;
    if (pieces === undefined) callback(error);
    else
      pieces.return(undefined).then(
        () => callback(error),
        () => callback(error),
      );
  }
}

/**
 * Writes a file from its start; `prepare` creates (truncates) it before the first byte, and
 * answers the chunk its create reserved, if any.
 */
export class GfsWriteStream extends Writable {
  private chunkSizeBytes = 0;
  private submittedBytes = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private reserved: ReservedChunk | undefined;
  private readonly writer: PieceWriter;

  constructor(
    private readonly deps: SdkDeps,
    private readonly path: string,
    private readonly prepare: () => Promise<ReservedChunk | undefined>,
  ) {
    super({ decodeStrings: true });
    this.writer = new PieceWriter(deps, path);
  }

  /** Bytes accepted so far (written or about to be). */
  get bytesWritten(): number {
    return this.submittedBytes + this.pendingBytes;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    this.prepare()
      .then((reserved) => {
        this.reserved = reserved;
        return this.deps.locator.chunkSize(this.path);
      })
      .then((chunkSizeBytes) => {
        this.chunkSizeBytes = chunkSizeBytes;
        callback();
      }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    this.submitPieces(false).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.finishWhole()
      .then(async (done) => {
        if (done) return;
        await this.submitPieces(true);
        await this.writer.drain();
        await withRetries(() => this.deps.master.extend(this.path, this.submittedBytes));
      })
      .then(() => callback(), callback);
  }

  /**
   * A file that is still all pending (it never filled a piece) into its reserved chunk: true when
   * that wrote and attached it, false when the caller must write it the usual way.
   */
  private async finishWhole(): Promise<boolean> {
    const reserved = this.reserved;
    this.reserved = undefined;
    if (reserved === undefined || this.submittedBytes > 0) return false;
    if (!fitsReserved(reserved, this.pendingBytes, Date.now())) return false;
    const data = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    if ((await writeIntoReserved(this.deps, this.path, reserved, data)) === undefined) return false;
    this.pending = [];
    this.pendingBytes = 0;
    this.submittedBytes = data.byteLength;
    return true;
  }

  /** Submits every full piece gathered so far (and, when `final`, the last partial one). */
  private async submitPieces(final: boolean): Promise<void> {
    for (;;) {
      const piece = pieceAt(this.submittedBytes, Number.MAX_SAFE_INTEGER, this.chunkSizeBytes, PIECE_BYTES_DEFAULT);
      if (this.pendingBytes < piece.lengthBytes && !(final && this.pendingBytes > 0)) return;
      const lengthBytes = Math.min(piece.lengthBytes, this.pendingBytes);
      const gathered = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
      const data = gathered.subarray(0, lengthBytes);
      const rest = gathered.subarray(lengthBytes);
      this.pending = rest.byteLength > 0 ? [rest] : [];
      this.pendingBytes = rest.byteLength;
      this.submittedBytes += lengthBytes;
      await this.writer.submit({ ...piece, lengthBytes }, data);
    }
  }
}
