// The bounded in-memory buffer pushed data waits in until a write consumes it (GFS §3.2: data
// flow separate from control flow). Space is reserved before a body is read, so the total never
// passes its bound; entries nobody uses within the TTL are dropped (their client died).

import { BufferPool } from '../../shared/buffer-pool.js';
import { GfsError } from '../../shared/errors.js';
import { PUSH_BUFFER_BYTES_MAX, PUSH_BUFFER_TTL_MS } from '../../shared/limits.js';

export interface PushedData {
  pieces: Buffer[];
  bytes: number;
  crc32c: number;
  /** True when the pieces came from the pool and go back to it once consumed. */
  pooled?: boolean;
  /** CRC32C of each CHECKSUM_BLOCK_BYTES block of the data from its start, when computed on arrival. */
  blockCrcs?: number[] | undefined;
  /** The chunk the push's access token named (undefined when tokens are not checked). */
  handle?: string | undefined;
}

interface Entry extends PushedData {
  expiresAtMs: number;
}

/** Pushed data taken out of the buffer by a write; its bytes stay accounted until released. */
export interface ClaimedData extends PushedData {
  release(): void;
}

export interface PushBufferOptions {
  bytesMax?: number;
  ttlMs?: number;
  now?: () => number;
}

export class PushBuffer {
  private readonly entries = new Map<string, Entry>();
  private reservedBytes = 0;
  readonly bytesMax: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  /** Where received bodies land; buffers return here when their data is consumed or dropped. */
  readonly pool = new BufferPool();

  constructor(options: PushBufferOptions = {}) {
    this.bytesMax = options.bytesMax ?? PUSH_BUFFER_BYTES_MAX;
    this.ttlMs = options.ttlMs ?? PUSH_BUFFER_TTL_MS;
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.expire(), Math.max(100, Math.floor(this.ttlMs / 4)));
    this.sweeper.unref();
  }

  /** Bytes held or reserved (the metric, and what the bound applies to). */
  get bytes(): number {
    return this.reservedBytes;
  }

  /** Reserves room for an arriving body; BUSY when the buffer is full (the client backs off). */
  reserve(bytes: number): void {
    if (this.reservedBytes + bytes > this.bytesMax) {
      throw new GfsError('BUSY', `push buffer full (${this.reservedBytes} of ${this.bytesMax} bytes held)`);
    }
    this.reservedBytes += bytes;
  }

  /** Returns reserved room that a failed or shorter push did not use. */
  unreserve(bytes: number): void {
    this.reservedBytes -= bytes;
  }

  /** Stores data whose bytes were reserved; a second push under the same id replaces the first. */
  put(dataId: string, data: PushedData): void {
    this.remove(dataId);
    this.entries.set(dataId, { ...data, expiresAtMs: this.now() + this.ttlMs });
  }

  has(dataId: string): boolean {
    return this.entries.has(dataId);
  }

  /**
   * TOKEN_WRONG_CHUNK when the data under `dataId` was pushed with a token for another chunk than
   * `handle`: a token for one chunk must not carry bytes into another. Absent data is left to claim.
   */
  checkPushedFor(dataId: string, handle: string): void {
    const pushedFor = this.entries.get(dataId)?.handle;
    if (pushedFor !== undefined && pushedFor !== handle) {
      throw new GfsError('TOKEN_WRONG_CHUNK', `data ${dataId} was pushed with a token for chunk ${pushedFor}`, handle);
    }
  }

  /** Takes the data for a write: DATA_NOT_FOUND when absent, INVALID_ARGUMENT on a length mismatch. */
  claim(dataId: string, lengthBytes: number): ClaimedData {
    const entry = this.entries.get(dataId);
    if (entry === undefined) throw new GfsError('DATA_NOT_FOUND', 'no pushed data under this id', dataId);
    if (entry.bytes !== lengthBytes) {
      throw new GfsError('INVALID_ARGUMENT', `pushed ${entry.bytes} bytes, write says ${lengthBytes}`, dataId);
    }
    this.entries.delete(dataId);
    let released = false;
    return {
      pieces: entry.pieces,
      bytes: entry.bytes,
      crc32c: entry.crc32c,
      blockCrcs: entry.blockCrcs,
      release: () => {
        if (released) return;
        released = true;
        this.reservedBytes -= entry.bytes;
        this.recycle(entry);
      },
    };
  }

  /** Drops data a request will not use (a record append answered "next chunk"). */
  discard(dataId: string): void {
    this.remove(dataId);
  }

  expire(): void {
    const now = this.now();
    for (const [dataId, entry] of this.entries) {
      if (entry.expiresAtMs <= now) this.remove(dataId);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const dataId of [...this.entries.keys()]) this.remove(dataId);
    this.pool.clear();
  }

  /** Returns pooled pieces once nothing refers to them any more. */
  recycle(data: PushedData): void {
    if (data.pooled !== true) return;
    for (const piece of data.pieces) this.pool.give(piece);
  }

  private remove(dataId: string): void {
    const entry = this.entries.get(dataId);
    if (entry === undefined) return;
    this.entries.delete(dataId);
    this.reservedBytes -= entry.bytes;
    this.recycle(entry);
  }
}
