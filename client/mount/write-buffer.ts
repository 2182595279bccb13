// Gathers one file's positioned writes before they go to the cluster. FUSE hands over 128 KiB
// (or 4 KiB) at a time; sending each alone would cost a chunk write and a master extend per
// request. Bytes are kept per gather window (WRITE_GATHER_BYTES, tiling each chunk from its
// start, so no window crosses a chunk), as the dirty ranges inside it; each contiguous range is
// later one SDK write (one push, one chunk write, one extend).
//
// When a window goes out: at once when a sequential writer reaches its end (the common `cp`
// case: full 4 MiB pieces, several in flight, while the next window fills); for other writers
// when the file holds more than `dirtyBytesMax`, after `idleSendMs` without writes, or at
// flush/drain. Holding random writes a while lets neighbours merge (fio's 4 KiB random writes
// over a 32 MiB file leave as eight 4 MiB writes, not 8192 small ones).
//
// Order: a range is written only after every range in flight that overlaps it has landed, so a
// later write to the same bytes always lands last. Failures of writes sent in the background are
// kept and reported by the next `flush` (close) or `write`, as NFS reports them.

import { assert } from '../../shared/assert.js';
import type { ByteBudget } from './byte-budget.js';

/** Writes `data` at `offsetBytes` of the file: resolves once every replica has it and the length is recorded. */
export type RangeWriter = (data: Buffer, offsetBytes: number) => Promise<void>;

export interface WriteBufferOptions {
  chunkSizeBytes: number;
  gatherBytes: number;
  /** Ranges of this file being written at once. */
  runsInFlight: number;
  /** Gathered bytes above which the oldest windows are sent without waiting for more. */
  dirtyBytesMax: number;
  /** Windows that saw no write for this long are sent anyway (0: never). */
  idleSendMs: number;
  budget: ByteBudget;
}

interface Window {
  startBytes: number;
  endBytes: number;
  /** Bytes from the window's start; capacity grows by doubling up to the window. */
  data: Buffer;
  /** Dirty ranges, relative to startBytes: sorted, disjoint and not touching. */
  ranges: [number, number][];
  dirtyBytes: number;
}

interface InFlight {
  startBytes: number;
  endBytes: number;
  done: Promise<void>;
}

/** Smallest buffer a window starts with. */
const WINDOW_BYTES_MIN = 64 * 1024;

export class WriteBuffer {
  /** By start offset; Map order is creation order, so the oldest window comes first. */
  private readonly windows = new Map<number, Window>();
  private dirtyBytes = 0;
  private readonly inFlight = new Set<InFlight>();
  private failure: unknown;
  /** Where the last write ended: a write starting there continues a sequential stream. */
  private lastEndBytes = -1;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Serialises callers: every method below runs alone. */
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly writeRange: RangeWriter,
    private readonly options: WriteBufferOptions,
  ) {
    assert(options.gatherBytes > 0 && options.chunkSizeBytes > 0, 'gather and chunk sizes are positive');
    assert(options.runsInFlight > 0, 'at least one range in flight');
  }

  /** True while bytes are gathered or in flight. */
  get dirty(): boolean {
    return this.windows.size > 0 || this.inFlight.size > 0;
  }

  /** Takes a copy of `data` for offset `offsetBytes`; waits only for memory or a free slot. */
  write(data: Buffer, offsetBytes: number): Promise<void> {
    return this.exclusive(async () => {
      this.throwFailure();
      await this.gather(data, offsetBytes);
      if (this.dirtyBytes > this.options.dirtyBytesMax) await this.sendOldest(this.options.dirtyBytesMax / 2);
      this.armIdleTimer();
    });
  }

  /** Sends everything gathered and waits for it; reports (once) any failure since the last flush. */
  flush(): Promise<void> {
    return this.exclusive(async () => {
      await this.sendAllAndWait();
      this.throwFailure();
    });
  }

  /** Like `flush` but keeps a failure for the next flush to report (a read must see the bytes, not the error). */
  drain(): Promise<void> {
    return this.exclusive(() => this.sendAllAndWait());
  }

  private async gather(data: Buffer, offsetBytes: number): Promise<void> {
    const sequential = offsetBytes === this.lastEndBytes;
    this.lastEndBytes = offsetBytes + data.byteLength;
    let position = offsetBytes;
    let rest = data;
    while (rest.byteLength > 0) {
      const window = this.windowAt(position);
      const take = Math.min(rest.byteLength, window.endBytes - position);
      const from = position - window.startBytes;
      if (!(await this.makeRoom(window, from + take))) continue;
      rest.copy(window.data, from, 0, take);
      this.markDirty(window, from, from + take);
      position += take;
      rest = rest.subarray(take);
      const whole = window.dirtyBytes === window.endBytes - window.startBytes;
      if (whole || (sequential && position === window.endBytes)) await this.send(window);
    }
  }

  private windowAt(offsetBytes: number): Window {
    const { chunkSizeBytes, gatherBytes } = this.options;
    const chunkStartBytes = Math.floor(offsetBytes / chunkSizeBytes) * chunkSizeBytes;
    const startBytes = chunkStartBytes + Math.floor((offsetBytes - chunkStartBytes) / gatherBytes) * gatherBytes;
    const known = this.windows.get(startBytes);
    if (known !== undefined) return known;
    const endBytes = Math.min(startBytes + gatherBytes, chunkStartBytes + chunkSizeBytes);
    const window: Window = { startBytes, endBytes, data: Buffer.alloc(0), ranges: [], dirtyBytes: 0 };
    this.windows.set(startBytes, window);
    return window;
  }

  /**
   * Grows the window's buffer to `neededBytes`. When the mount's memory budget is spent, sends
   * everything this file holds (it frees memory as it lands) and answers false: the window is
   * gone and the caller starts over. Every waiter sent its own bytes first, so waits end.
   */
  private async makeRoom(window: Window, neededBytes: number): Promise<boolean> {
    if (neededBytes <= window.data.byteLength) return true;
    const capacity = Math.min(
      window.endBytes - window.startBytes,
      Math.max(neededBytes, window.data.byteLength * 2, WINDOW_BYTES_MIN),
    );
    const extraBytes = capacity - window.data.byteLength;
    if (!this.options.budget.tryAcquire(extraBytes)) {
      if (this.dirtyBytes > 0) {
        await this.sendOldest(0);
        return false;
      }
      await this.options.budget.acquire(extraBytes);
    }
    const grown = Buffer.allocUnsafe(capacity);
    for (const [start, end] of window.ranges) window.data.copy(grown, start, start, end);
    window.data = grown;
    return true;
  }

  /** Adds [start, end) to the window's dirty ranges, merging the ones it overlaps or touches. */
  private markDirty(window: Window, start: number, end: number): void {
    const kept: [number, number][] = [];
    let merged: [number, number] = [start, end];
    let placed = false;
    for (const range of window.ranges) {
      if (range[1] < merged[0]) kept.push(range);
      else if (range[0] > merged[1]) {
        if (!placed) {
          kept.push(merged);
          placed = true;
        }
        kept.push(range);
      } else merged = [Math.min(range[0], merged[0]), Math.max(range[1], merged[1])];
    }
    if (!placed) kept.push(merged);
    const before = window.dirtyBytes;
    window.ranges = kept;
    window.dirtyBytes = kept.reduce((sum, [from, to]) => sum + (to - from), 0);
    this.dirtyBytes += window.dirtyBytes - before;
  }

  /** Sends the oldest windows until at most `keepBytes` stay gathered. */
  private async sendOldest(keepBytes: number): Promise<void> {
    this.clearIdleTimer();
    for (const window of [...this.windows.values()]) {
      if (this.dirtyBytes <= keepBytes) return;
      await this.send(window);
    }
  }

  /** Sends each dirty range of the window (after a free slot), ordered behind overlapping ranges in flight. */
  private async send(window: Window): Promise<void> {
    if (this.windows.get(window.startBytes) !== window) return;
    this.windows.delete(window.startBytes);
    this.dirtyBytes -= window.dirtyBytes;
    let pending = window.ranges.length;
    const releaseWindow = () => {
      pending -= 1;
      if (pending === 0) this.options.budget.release(window.data.byteLength);
    };
    if (pending === 0) {
      this.options.budget.release(window.data.byteLength);
      return;
    }
    for (const [start, end] of window.ranges) {
      while (this.inFlight.size >= this.options.runsInFlight) {
        await Promise.race([...this.inFlight].map((each) => each.done));
      }
      const startBytes = window.startBytes + start;
      const endBytes = window.startBytes + end;
      const before = [...this.inFlight]
        .filter((each) => each.startBytes < endBytes && startBytes < each.endBytes)
        .map((each) => each.done);
      const entry: InFlight = { startBytes, endBytes, done: Promise.resolve() };
      entry.done = Promise.all(before)
        .then(() => this.writeRange(window.data.subarray(start, end), startBytes))
        .catch((error: unknown) => {
          this.failure ??= error;
        })
        .finally(() => {
          this.inFlight.delete(entry);
          releaseWindow();
        });
      this.inFlight.add(entry);
    }
  }

  private async sendAllAndWait(): Promise<void> {
    await this.sendOldest(0);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight].map((each) => each.done));
  }

  private throwFailure(): void {
    const failure = this.failure;
    if (failure === undefined) return;
    this.failure = undefined;
    throw failure;
  }

  private armIdleTimer(): void {
    this.clearIdleTimer();
    if (this.options.idleSendMs <= 0 || this.windows.size === 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      // Failures land in `failure` for the next flush; nothing to report here.
      void this.exclusive(() => this.sendOldest(0));
    }, this.options.idleSendMs);
    this.idleTimer.unref();
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private exclusive<T>(body: () => Promise<T>): Promise<T> {
    const result = this.turn.then(body);
    this.turn = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
