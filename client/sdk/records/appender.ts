// Record append for one file of one client (DESIGN §3, §7 SDK): frames records, batches the ones
// that queue up while earlier appends are in flight into one append (group commit: no timer, so
// a lone record goes out at once), keeps a few appends in flight, and resolves each record with
// its frame's offset once the master's file length covers it (so any reader sees it).

import { randomBytes } from 'node:crypto';
import { GfsError } from '../../../shared/errors.js';
import { recordBytesMax } from '../../../shared/limits.js';
import type { SdkDeps } from '../deps.js';
import { appendBlob } from './append-blob.js';
import { AppendTarget } from './append-target.js';
import { SEQ_WINDOW } from './duplicate-filter.js';
import { encodeFrame, FRAME_HEADER_BYTES, framedLength, WRITER_ID_BYTES } from './frame.js';
import { LengthReporter } from './length-reporter.js';

/** Appends of one file in flight at once from one client: few, so records queue up into batches. */
export const APPENDS_IN_FLIGHT = 4;
/** Largest batch of records sent as one append (also bounded by the record limit, chunk / 4). */
export const BATCH_BYTES_MAX = 1024 * 1024;
/** Records in one batch: far below SEQ_WINDOW, so a batch can always be numbered. */
export const BATCH_RECORDS_MAX = 4096;

export interface RecordAppendOptions {
  /** Append the bytes as they are, without the SDK's frame (the reader will not see them). */
  raw?: boolean;
  /** May share one append with other records of this client (default true). */
  batch?: boolean;
  /**
   * Lands in the file after every earlier `ordered` record of this client and file (one append of
   * them in flight at a time; batching keeps the throughput). Default false: concurrent appends
   * may land in any order, as in GFS.
   */
  ordered?: boolean;
}

/** Largest payload of one record: chunk size / 4, less the frame unless raw. */
export function payloadBytesMax(chunkSizeBytes: number, raw: boolean): number {
  const limit = recordBytesMax(chunkSizeBytes);
  return raw ? limit : limit - FRAME_HEADER_BYTES;
}

/** The one wording of a refused record, for the SDK and the CLI alike (payload bytes). */
export function recordTooLarge(payloadBytes: number, payloadLimit: number, path: string, atLeast = false): GfsError {
  const size = `${atLeast ? 'at least ' : ''}${payloadBytes} bytes`;
  return new GfsError('RECORD_TOO_LARGE', `record too large: ${size}, the limit is ${payloadLimit}`, path);
}

interface Queued {
  payload: Uint8Array;
  raw: boolean;
  batch: boolean;
  ordered: boolean;
  bytes: number;
  resolve: (offset: number) => void;
  reject: (error: unknown) => void;
}

export class RecordAppender {
  /** Random per appender: with the sequence number, the record id readers deduplicate by. */
  private readonly writerId = randomBytes(WRITER_ID_BYTES);
  private nextSeq = 0;
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private pumpScheduled = false;
  /** An append holding `ordered` records is in flight: the next ones wait for it. */
  private orderedInFlight = false;
  /** First sequence number of each batch of framed records in flight (the window's low end). */
  private readonly seqsInFlight = new Set<number>();
  private readonly target: AppendTarget;
  private readonly lengths: LengthReporter;
  private readonly batchBytesMax: number;

  constructor(
    private readonly deps: SdkDeps,
    readonly path: string,
    private readonly chunkSizeBytes: number,
    /** Creates the file if missing; `again` forgets that it was created (it was removed since). */
    private readonly ensureFile: (again?: boolean) => Promise<void>,
  ) {
    this.target = new AppendTarget(deps.master, path);
    this.lengths = new LengthReporter(deps.master, path);
    this.batchBytesMax = Math.min(BATCH_BYTES_MAX, recordBytesMax(chunkSizeBytes));
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.queue.length === 0;
  }

  /** Resolves with the offset of the record's frame (or raw bytes) in the file. */
  append(payload: Uint8Array, options: RecordAppendOptions = {}): Promise<number> {
    const raw = options.raw ?? false;
    const bytes = raw ? payload.byteLength : framedLength(payload.byteLength);
    const limit = recordBytesMax(this.chunkSizeBytes);
    if (bytes > limit) {
      return Promise.reject(recordTooLarge(payload.byteLength, payloadBytesMax(this.chunkSizeBytes, raw), this.path));
    }
    if (raw && bytes === 0) return Promise.reject(new GfsError('INVALID_ARGUMENT', 'empty raw record', this.path));
    return new Promise<number>((resolve, reject) => {
      this.queue.push({
        payload,
        raw,
        batch: options.batch ?? true,
        ordered: options.ordered ?? false,
        bytes,
        resolve,
        reject,
      });
      this.schedulePump();
    });
  }

  /**
   * Sends what is queued once the current turn is over, so every record queued in this turn goes
   * out together: callers resolved by a finished append queue their next records a few microtasks
   * later, and a slot taken at once by the first of them would carry it alone.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < APPENDS_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.takeBatch();
      if (batch === undefined) return;
      this.inFlight++;
      if (batch.ordered) this.orderedInFlight = true;
      void this.send(batch.records, batch.firstSeq).finally(() => {
        this.inFlight--;
        if (batch.ordered) this.orderedInFlight = false;
        if (batch.numbered) this.seqsInFlight.delete(batch.firstSeq);
        this.schedulePump();
      });
    }
  }

  /** The records of the next append, numbered; undefined while the sequence window is full. */
  private takeBatch(): { records: Queued[]; firstSeq: number; numbered: boolean; ordered: boolean } | undefined {
    if (this.orderedInFlight && this.queue[0]?.ordered) return undefined;
    let count = 0;
    let bytes = 0;
    let framed = 0;
    let ordered = false;
    for (const next of this.queue) {
      if (count > 0 && (!next.batch || bytes + next.bytes > this.batchBytesMax || count >= BATCH_RECORDS_MAX)) break;
      if (next.ordered && this.orderedInFlight) break;
      count++;
      bytes += next.bytes;
      ordered ||= next.ordered;
      if (!next.raw) framed++;
      if (!next.batch) break;
    }
    const firstSeq = this.nextSeq;
    const numbered = framed > 0;
    if (numbered) {
      const oldest = this.seqsInFlight.size === 0 ? firstSeq : Math.min(...this.seqsInFlight);
      if (firstSeq + framed - 1 >= oldest + SEQ_WINDOW) return undefined;
      this.nextSeq += framed;
      this.seqsInFlight.add(firstSeq);
    }
    return { records: this.queue.splice(0, count), firstSeq, numbered, ordered };
  }

  /** Forgets the cached last chunk (the file was removed or renamed by this client). */
  forgetTarget(): void {
    this.target.invalidate();
  }

  /**
   * Appends and makes the master's length cover the blob. NOT_FOUND means the file was removed
   * (or renamed away) since this appender created it, possibly with the blob landing in a chunk
   * of the removed file: create the file again and append once more.
   */
  private async appendCreatingAgain(blob: Buffer): Promise<number> {
    const attempt = async () => {
      const offset = await appendBlob(this.deps, this.target, blob);
      await this.lengths.report(offset + blob.length);
      return offset;
    };
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof GfsError && error.code === 'NOT_FOUND')) throw error;
      this.target.invalidate();
      this.lengths.reset();
      await this.ensureFile(true);
      return attempt();
    }
  }

  private async send(records: Queued[], firstSeq: number): Promise<void> {
    const total = records.reduce((sum, record) => sum + record.bytes, 0);
    const blob = Buffer.allocUnsafe(total);
    const starts: number[] = [];
    let at = 0;
    let seq = firstSeq;
    for (const record of records) {
      starts.push(at);
      if (record.raw) {
        blob.set(record.payload, at);
        at += record.bytes;
      } else {
        at = encodeFrame(blob, at, this.writerId, seq++, record.payload);
      }
    }
    try {
      await this.ensureFile();
      const offset = await this.appendCreatingAgain(blob);
      records.forEach((record, i) => {
        record.resolve(offset + (starts[i] ?? 0));
      });
    } catch (error) {
      for (const record of records) record.reject(error);
    }
  }
}
