// The record reader (DESIGN §7 SDK `records()`): walks a file chunk by chunk (records never cross
// a chunk), yields each framed record whose checksums hold, skips padding and torn or overwritten
// fragments by scanning for the next valid header, and drops duplicates. With `follow`, it polls
// the file's length and goes on as `tail -f` does.
//
// Everything below the master's file length is settled: the length only covers acknowledged
// records, every replica applies a chunk's appends in serial order, so by the time a record is
// acknowledged every earlier offset of its chunk holds what it will hold for good. A follower can
// therefore parse up to the length and never come back.

import type { SdkDeps } from '../deps.js';
import { readRangeToBuffer } from '../range-reader.js';
import { delay } from '../retry.js';
import { DuplicateFilter } from './duplicate-filter.js';
import { type DecodedFrame, FRAME_HEADER_BYTES, nextHeader, probeFrame, recordId } from './frame.js';

/** Bytes read ahead at once: several pieces in flight, memory bounded per reader. */
export const READ_WINDOW_BYTES = 16 * 1024 * 1024;
/** How often a follower asks whether the file grew. */
export const FOLLOW_POLL_MS_DEFAULT = 250;

export interface RecordsOptions {
  /** File offset to start at (a record's offset, or anywhere: the reader finds the next record). */
  from?: number;
  /** Keep waiting for records appended later, like `tail -f`. */
  follow?: boolean;
  pollMs?: number;
  /** Ends a follower (the iteration then simply finishes). */
  signal?: AbortSignal;
}

export interface AppendedRecord {
  /** Offset of the record's frame in the file. */
  offset: number;
  /** Writer id and sequence number, 32 hex digits: equal for a record and its duplicates. */
  id: string;
  data: Buffer;
}

export async function* readRecords(
  deps: SdkDeps,
  path: string,
  options: RecordsOptions,
  rotation: number,
): AsyncGenerator<AppendedRecord> {
  const filter = new DuplicateFilter();
  const follow = options.follow ?? false;
  let position = options.from ?? 0;
  let { sizeBytes, chunkSizeBytes } = await deps.locator.extentAt(path, position);
  for (;;) {
    while (position < sizeBytes) {
      const chunkEnd = Math.min((Math.floor(position / chunkSizeBytes) + 1) * chunkSizeBytes, sizeBytes);
      const read = (startBytes: number, endBytes: number) =>
        readRangeToBuffer(deps, path, { startBytes, endBytes, chunkSizeBytes }, rotation);
      for await (const frame of framesIn(read, position, chunkEnd)) {
        if (!filter.firstSeen(frame.writer, frame.seq)) continue;
        yield { offset: frame.start, id: recordId(frame.writer, frame.seq), data: Buffer.from(frame.payload) };
      }
      position = chunkEnd;
    }
    if (!follow || options.signal?.aborted) return;
    await delay(options.pollMs ?? FOLLOW_POLL_MS_DEFAULT);
    if (options.signal?.aborted) return;
    ({ sizeBytes, chunkSizeBytes } = await deps.locator.extentAt(path, position));
  }
}

/** Reads bytes [start, end) of the file. */
export type RangeRead = (startBytes: number, endBytes: number) => Promise<Buffer>;

/**
 * Valid frames in the range [start, end) of one chunk (offsets in the file), read through `read`
 * a window at a time. Frames crossing `end` are not valid.
 */
export async function* framesIn(
  read: RangeRead,
  start: number,
  end: number,
  windowBytes = READ_WINDOW_BYTES,
): AsyncGenerator<DecodedFrame> {
  let buffer = Buffer.alloc(0);
  /** File offset of buffer[0]; the buffer holds [bufferStart, readTo). */
  let bufferStart = start;
  let readTo = start;
  let at = start;
  const readOn = async (neededTo: number) => {
    const to = Math.min(end, Math.max(neededTo, readTo + windowBytes));
    const fresh = await read(readTo, to);
    buffer = Buffer.concat([buffer.subarray(at - bufferStart), fresh]);
    bufferStart = at;
    readTo = to;
  };
  while (at < end) {
    if (readTo - at < FRAME_HEADER_BYTES && readTo < end) {
      await readOn(at + FRAME_HEADER_BYTES);
      continue;
    }
    const probe = probeFrame(buffer, at - bufferStart, readTo - bufferStart, end - bufferStart);
    if (probe.kind === 'more') {
      await readOn(bufferStart + probe.end);
      continue;
    }
    if (probe.kind === 'frame') {
      const { frame } = probe;
      yield { ...frame, start: bufferStart + frame.start, end: bufferStart + frame.end };
      at = bufferStart + frame.end;
      continue;
    }
    const found = nextHeader(buffer, at - bufferStart + 1, readTo - bufferStart);
    if (found >= 0) {
      at = bufferStart + found;
      continue;
    }
    if (readTo >= end) return;
    // A header may straddle the end of what is buffered: keep its possible start.
    at = Math.max(at + 1, readTo - FRAME_HEADER_BYTES + 1);
    await readOn(readTo + 1);
  }
}
