// Gathers one file's positioned writes before they go to the cluster. FUSE hands over 128 KiB
// (or 4 KiB) at a time; sending each alone would cost a push and a chunk write per request.
// Bytes are kept per gather window (WRITE_GATHER_BYTES, tiling each chunk from its start, so no
// window crosses a chunk), in pages of `pageBytes` allocated as they are first written (so 4 KiB
// written here and there across a big file hold a page each, not a window each), with the dirty
// ranges inside the window; each contiguous range is later one SDK write (one push, one chunk
// write).
//
// When a window goes out: at once when a sequential writer reaches its end (the common `cp`
// case: full 4 MiB pieces, several in flight, while the next window fills); for other writers
// when the file holds more than `dirtyBytesMax`, after `idleSendMs` without writes, or at
// flush/drain. Holding random writes a while lets neighbours merge (fio's 4 KiB random writes
// over a 32 MiB file leave as eight 4 MiB writes, not 8192 small ones).
//
// The file's length (and mtime) is recorded at the master once for many ranges, after they
// landed: when the ranges in flight are all done, and always before a flush or drain returns.
// Each record is a logged change at the master, so recording per range would cost a master
// round trip (and a log commit) per range.
//
// A file written whole before its first flush (nothing sent yet, one range from offset 0: a small
// file's create, write, close) goes out as one `writeWhole`, bytes and length together, which
// lets the SDK use the chunk the file's create reserved (one write and one master call).
//
// Order: a range is written only after every range in flight that overlaps it has landed, so a
// later write to the same bytes always lands last. Failures of writes sent in the background are
// kept and reported by the next `flush` (close) or `write`, as NFS reports them.

import { assert } from '../../shared/assert.js';
import type { ByteBudget } from './byte-budget.js';
import { IdleTimer, SerialTurns } from './serial-turns.js';

/** Writes `data` at `offsetBytes` of the file: resolves once every replica has it and the length is recorded. */
export type RangeWriter = (data: Buffer, offsetBytes: number) => Promise<void>;

/** Where a WriteBuffer's ranges go: the bytes first, the file's length afterwards (once for many). */
export interface RangeSink {
  /** Writes `data` at `offsetBytes` on every replica, leaving the length at the master as it is. */
  write(data: Buffer, offsetBytes: number): Promise<void>;
  /** Records at the master that the file reaches at least `endBytes` (and sets its mtime). */
  recordLength(endBytes: number): Promise<void>;
  /**
   * Writes `data` as bytes [0, data.length) of a file nothing was sent to yet, and records the
   * length: `write` then `recordLength` in one (absent: those two are used).
   */
  writeWhole?(data: Buffer): Promise<void>;
}

export interface WriteBufferOptions {
  chunkSizeBytes: number;
  gatherBytes: number;
  /** Ranges of this file being written at once: small ones cost round trips, not bandwidth. */
  rangesInFlightMax: number;
  /** Bytes of this file being written at once (a single range may exceed it). */
  bytesInFlightMax: number;
  /** Gathered bytes above which the oldest windows are sent without waiting for more. */
  dirtyBytesMax: number;
  /** Unit in which a window's memory is allocated. */
  pageBytes: number;
  /** Windows that saw no write for this long are sent anyway (0: never). */
  idleSendMs: number;
  budget: ByteBudget;
}

/** Dirty bytes [start, end) of a window, relative to its start. */
interface Range {
  start: number;
  end: number;
}

interface Window {
  startBytes: number;
  endBytes: number;
  /** Page i holds the window's bytes from i × pageBytes; allocated when first written. */
  pages: (Buffer | undefined)[];
  heldBytes: number;
  /** Sorted, disjoint and not touching. */
  ranges: Range[];
  dirtyBytes: number;
}

interface InFlight {
  startBytes: number;
  endBytes: number;
  done: Promise<void>;
}

export class WriteBuffer {
  /** By start offset; Map order is creation order, so the oldest window comes first. */
  private readonly windows = new Map<number, Window>();
  private dirtyBytes = 0;
  private readonly inFlight = new Set<InFlight>();
  private inFlightBytes = 0;
  private failure: unknown;
  /** Highest end of the ranges that landed since the length was last recorded (0: none). */
  private unrecordedEndBytes = 0;
  /** The length record under way (it never rejects). */
  private recording: Promise<void> | undefined;
  /** Where the last write ended: a write starting there continues a sequential stream. */
  private lastEndBytes = -1;
  /** Something was sent already: the file is no longer written whole at its first flush. */
  private sentAny = false;
  /** A `writeWhole` is under way. */
  private sendingWhole = false;
  private readonly idle = new IdleTimer();
  /** Serialises callers: every method below runs alone. */
  private readonly turns = new SerialTurns();

  constructor(
    private readonly sink: RangeSink,
    private readonly options: WriteBufferOptions,
  ) {
    assert(options.gatherBytes > 0 && options.chunkSizeBytes > 0, 'gather and chunk sizes are positive');
    assert(options.rangesInFlightMax > 0 && options.bytesInFlightMax > 0, 'at least one range in flight');
    assert(options.pageBytes > 0, 'pages hold bytes');
  }

  /** True while bytes are gathered, in flight, or landed with their length not yet at the master. */
  get dirty(): boolean {
    return (
      this.windows.size > 0 ||
      this.inFlight.size > 0 ||
      this.unrecordedEndBytes > 0 ||
      this.recording !== undefined ||
      this.sendingWhole
    );
  }

  /** Takes a copy of `data` for offset `offsetBytes`; waits only for memory or a free slot. */
  write(data: Buffer, offsetBytes: number): Promise<void> {
    return this.turns.run(async () => {
      this.throwFailure();
      await this.gather(data, offsetBytes);
      if (this.dirtyBytes > this.options.dirtyBytesMax) await this.sendOldest(this.options.dirtyBytesMax / 2);
      this.armIdleTimer();
    });
  }

  /** Sends everything gathered, waits for it and records the length; reports (once) any failure since the last flush. */
  flush(): Promise<void> {
    return this.turns.run(async () => {
      await this.sendAllAndWait();
      this.throwFailure();
    });
  }

  /** Like `flush` but keeps a failure for the next flush to report (a read must see the bytes, not the error). */
  drain(): Promise<void> {
    return this.turns.run(() => this.sendAllAndWait());
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
      if (!(await this.makeRoom(window, from, from + take))) continue;
      this.copyIn(window, rest.subarray(0, take), from);
      this.markDirty(window, from, from + take);
      position += take;
      rest = rest.subarray(take);
      const whole = window.dirtyBytes === window.endBytes - window.startBytes;
      if (whole || (sequential && position === window.endBytes)) await this.send(window);
    }
  }

  private windowAt(offsetBytes: number): Window {
    const { chunkSizeBytes, gatherBytes, pageBytes } = this.options;
    const chunkStartBytes = Math.floor(offsetBytes / chunkSizeBytes) * chunkSizeBytes;
    const startBytes = chunkStartBytes + Math.floor((offsetBytes - chunkStartBytes) / gatherBytes) * gatherBytes;
    const known = this.windows.get(startBytes);
    if (known !== undefined) return known;
    const endBytes = Math.min(startBytes + gatherBytes, chunkStartBytes + chunkSizeBytes);
    const pages = new Array<Buffer | undefined>(Math.ceil((endBytes - startBytes) / pageBytes)).fill(undefined);
    const window: Window = { startBytes, endBytes, pages, heldBytes: 0, ranges: [], dirtyBytes: 0 };
    this.windows.set(startBytes, window);
    return window;
  }

  /**
   * Allocates the window's missing pages for [from, to). When the mount's memory budget is spent
   * (after taking back what read caches hold), sends everything this file holds (it frees memory
   * as it lands) and answers false: the window is gone and the caller starts over. Every waiter
   * sent its own bytes first, so waits end.
   */
  private async makeRoom(window: Window, from: number, to: number): Promise<boolean> {
    const { pageBytes } = this.options;
    const windowBytes = window.endBytes - window.startBytes;
    for (let index = Math.floor(from / pageBytes); index * pageBytes < to; index++) {
      if (window.pages[index] !== undefined) continue;
      const bytes = Math.min(pageBytes, windowBytes - index * pageBytes);
      if (!this.options.budget.tryAcquire(bytes, true)) {
        if (this.dirtyBytes > 0) {
          await this.sendOldest(0);
          return false;
        }
        await this.options.budget.acquire(bytes);
        if (this.windows.get(window.startBytes) !== window) {
          this.options.budget.release(bytes);
          return false;
        }
      }
      window.pages[index] = Buffer.allocUnsafe(bytes);
      window.heldBytes += bytes;
    }
    return true;
  }

  private copyIn(window: Window, data: Buffer, from: number): void {
    const { pageBytes } = this.options;
    let done = 0;
    while (done < data.byteLength) {
      const at = from + done;
      const page = window.pages[Math.floor(at / pageBytes)] as Buffer;
      done += data.copy(page, at % pageBytes, done);
    }
  }

  /** The window's bytes [start, end): a view when they sit in one page, else a copy. */
  private copyOut(window: Window, start: number, end: number): Buffer {
    const { pageBytes } = this.options;
    const first = Math.floor(start / pageBytes);
    if (Math.floor((end - 1) / pageBytes) === first) {
      const offset = start - first * pageBytes;
      return (window.pages[first] as Buffer).subarray(offset, offset + end - start);
    }
    const out = Buffer.allocUnsafe(end - start);
    for (let at = start; at < end; ) {
      const page = window.pages[Math.floor(at / pageBytes)] as Buffer;
      const offset = at % pageBytes;
      at += page.copy(out, at - start, offset, Math.min(page.byteLength, offset + end - at));
    }
    return out;
  }

  /** Adds [start, end) to the window's dirty ranges, merging the ones it overlaps or touches. */
  private markDirty(window: Window, start: number, end: number): void {
    const { ranges } = window;
    const first = firstReaching(ranges, start);
    let last = first;
    let dirtyBefore = 0;
    while (last < ranges.length && (ranges[last] as Range).start <= end) {
      dirtyBefore += (ranges[last] as Range).end - (ranges[last] as Range).start;
      last++;
    }
    const merged: Range = {
      start: Math.min(start, first < last ? (ranges[first] as Range).start : start),
      end: Math.max(end, first < last ? (ranges[last - 1] as Range).end : end),
    };
    if (last - first === 1) {
      const only = ranges[first] as Range;
      only.start = merged.start;
      only.end = merged.end;
    } else ranges.splice(first, last - first, merged);
    const added = merged.end - merged.start - dirtyBefore;
    window.dirtyBytes += added;
    this.dirtyBytes += added;
  }

  /** Sends the oldest windows until at most `keepBytes` stay gathered. */
  private async sendOldest(keepBytes: number): Promise<void> {
    this.idle.clear();
    for (const window of [...this.windows.values()]) {
      if (this.dirtyBytes <= keepBytes) return;
      await this.send(window);
    }
  }

  /** Sends each dirty range of the window (after a free slot), ordered behind overlapping ranges in flight. */
  private async send(window: Window): Promise<void> {
    if (this.windows.get(window.startBytes) !== window) return;
    this.sentAny = true;
    this.windows.delete(window.startBytes);
    this.dirtyBytes -= window.dirtyBytes;
    // The pages' memory goes back once every range cut from them has landed.
    const { heldBytes } = window;
    let pending = window.ranges.length;
    const releaseWindow = () => {
      pending -= 1;
      if (pending <= 0) this.options.budget.release(heldBytes);
    };
    if (pending === 0) releaseWindow();
    for (const range of window.ranges) {
      const lengthBytes = range.end - range.start;
      while (
        this.inFlight.size >= this.options.rangesInFlightMax ||
        (this.inFlight.size > 0 && this.inFlightBytes + lengthBytes > this.options.bytesInFlightMax)
      ) {
        await Promise.race([...this.inFlight].map((each) => each.done));
      }
      const startBytes = window.startBytes + range.start;
      const endBytes = window.startBytes + range.end;
      const before = [...this.inFlight]
        .filter((each) => each.startBytes < endBytes && startBytes < each.endBytes)
        .map((each) => each.done);
      const data = this.copyOut(window, range.start, range.end);
      const entry: InFlight = { startBytes, endBytes, done: Promise.resolve() };
      entry.done = Promise.all(before)
        .then(() => this.sink.write(data, startBytes))
        .then(
          () => {
            this.unrecordedEndBytes = Math.max(this.unrecordedEndBytes, endBytes);
          },
          (error: unknown) => {
            this.failure ??= error;
          },
        )
        .finally(() => {
          this.inFlight.delete(entry);
          this.inFlightBytes -= lengthBytes;
          releaseWindow();
          // A burst of ranges is over: one length record covers them all.
          if (this.inFlight.size === 0) this.recordLanded().catch(() => undefined);
        });
      this.inFlight.add(entry);
      this.inFlightBytes += lengthBytes;
    }
    // Ranges copied out of several pages no longer need them (ranges inside one page keep theirs).
    window.pages.fill(undefined);
  }

  private async sendAllAndWait(): Promise<void> {
    await this.sendWhole();
    await this.sendOldest(0);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight].map((each) => each.done));
    await this.recordLanded().catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** When nothing was sent yet and one range from offset 0 is all there is: sends it with `writeWhole`. */
  private async sendWhole(): Promise<void> {
    const { writeWhole } = this.sink;
    const [window, ...others] = this.windows.values();
    const range = window?.ranges[0];
    if (writeWhole === undefined || this.sentAny || others.length > 0 || window === undefined) return;
    if (window.startBytes !== 0 || window.ranges.length !== 1 || range === undefined || range.start !== 0) return;
    this.sentAny = true;
    this.sendingWhole = true;
    this.idle.clear();
    this.windows.delete(window.startBytes);
    this.dirtyBytes -= window.dirtyBytes;
    try {
      await writeWhole.call(this.sink, this.copyOut(window, range.start, range.end));
    } catch (error) {
      this.failure ??= error;
    } finally {
      this.sendingWhole = false;
      this.options.budget.release(window.heldBytes);
      window.pages.fill(undefined);
    }
  }

  /**
   * Records the length of what landed (waiting for a record already under way first). A failed
   * record is kept pending, so the next flush tries again, and rejects.
   */
  private async recordLanded(): Promise<void> {
    while (this.recording !== undefined) await this.recording;
    const endBytes = this.unrecordedEndBytes;
    if (endBytes === 0) return;
    this.unrecordedEndBytes = 0;
    let failure: unknown;
    const recording = this.sink.recordLength(endBytes).then(
      () => undefined,
      (error: unknown) => {
        failure = error;
        this.unrecordedEndBytes = Math.max(this.unrecordedEndBytes, endBytes);
      },
    );
    this.recording = recording;
    await recording;
    if (this.recording === recording) this.recording = undefined;
    if (failure !== undefined) throw failure;
  }

  private throwFailure(): void {
    const failure = this.failure;
    if (failure === undefined) return;
    this.failure = undefined;
    throw failure;
  }

  private armIdleTimer(): void {
    this.idle.clear();
    if (this.windows.size === 0) return;
    // Failures land in `failure` for the next flush; nothing to report here.
    this.idle.arm(this.options.idleSendMs, () => void this.turns.run(() => this.sendOldest(0)));
  }
}

/** Index of the first range that ends at or after `offset` (touching counts: it merges). */
function firstReaching(ranges: readonly Range[], offset: number): number {
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ranges[middle] as Range).end < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}
