// The frame every SDK record carries in the file (DESIGN §3), so a reader can find records in a
// chunk that also holds padding and torn or duplicated fragments, check them, and drop duplicates.
// All integers little-endian:
//   0  magic "GFR1"                4  CRC32C of header bytes 8..32
//   8  payload length (u32)        12 CRC32C of the payload
//   16 writer id (8 random bytes)  24 sequence number within the writer (u64)
//   32 payload
// The header checksum makes a false match of the magic inside other data (one in 2^32 even then)
// harmless: a reader scanning past garbage only stops at a header whose checksum holds.

import { crc32cOf } from '../../../shared/checksum.js';

export const FRAME_HEADER_BYTES = 32;
export const FRAME_MAGIC = Buffer.from('GFR1', 'latin1');
export const WRITER_ID_BYTES = 8;

/** A record found in a buffer: where its frame starts and ends (buffer offsets), and what it holds. */
export interface DecodedFrame {
  start: number;
  end: number;
  writer: string;
  seq: number;
  payload: Buffer;
}

/** Frame bytes of one record, written into `into` at `at`; returns the frame's end. */
export function encodeFrame(into: Buffer, at: number, writerId: Buffer, seq: number, payload: Uint8Array): number {
  FRAME_MAGIC.copy(into, at);
  into.writeUInt32LE(payload.byteLength, at + 8);
  into.writeUInt32LE(crc32cOf(payload), at + 12);
  writerId.copy(into, at + 16, 0, WRITER_ID_BYTES);
  into.writeUInt32LE(seq % 2 ** 32, at + 24);
  into.writeUInt32LE(Math.floor(seq / 2 ** 32), at + 28);
  into.writeUInt32LE(crc32cOf(into.subarray(at + 8, at + FRAME_HEADER_BYTES)), at + 4);
  into.set(payload, at + FRAME_HEADER_BYTES);
  return at + FRAME_HEADER_BYTES + payload.byteLength;
}

export function framedLength(payloadBytes: number): number {
  return FRAME_HEADER_BYTES + payloadBytes;
}

/**
 * What starts at `at` in `buf[0, limit)`:
 * - `frame`: a whole, checked record;
 * - `more`: a valid header whose payload lies past the buffered bytes but inside `limit` (read on);
 * - `invalid`: anything else (padding, a torn or overwritten fragment, a frame crossing `limit`).
 */
export type FrameProbe = { kind: 'frame'; frame: DecodedFrame } | { kind: 'more'; end: number } | { kind: 'invalid' };

export function probeFrame(buf: Buffer, at: number, bufferedEnd: number, limit: number): FrameProbe {
  if (at + FRAME_HEADER_BYTES > bufferedEnd) return { kind: 'invalid' };
  if (!isHeader(buf, at)) return { kind: 'invalid' };
  const end = at + FRAME_HEADER_BYTES + buf.readUInt32LE(at + 8);
  if (end > limit) return { kind: 'invalid' };
  if (end > bufferedEnd) return { kind: 'more', end };
  const payload = buf.subarray(at + FRAME_HEADER_BYTES, end);
  if (crc32cOf(payload) !== buf.readUInt32LE(at + 12)) return { kind: 'invalid' };
  const seq = buf.readUInt32LE(at + 24) + buf.readUInt32LE(at + 28) * 2 ** 32;
  const writer = buf.toString('hex', at + 16, at + 16 + WRITER_ID_BYTES);
  return { kind: 'frame', frame: { start: at, end, writer, seq, payload } };
}

/** The first offset ≥ `from` where a checked header starts, or -1 if none before `bufferedEnd`. */
export function nextHeader(buf: Buffer, from: number, bufferedEnd: number): number {
  let at = from;
  for (;;) {
    const found = buf.indexOf(FRAME_MAGIC, at);
    if (found < 0 || found + FRAME_HEADER_BYTES > bufferedEnd) return -1;
    if (isHeader(buf, found)) return found;
    at = found + 1;
  }
}

/** Record id as the SDK shows it: writer id and sequence number, 32 hex digits. */
export function recordId(writer: string, seq: number): string {
  return `${writer}${seq.toString(16).padStart(16, '0')}`;
}

function isHeader(buf: Buffer, at: number): boolean {
  return (
    buf[at] === FRAME_MAGIC[0] &&
    buf[at + 1] === FRAME_MAGIC[1] &&
    buf[at + 2] === FRAME_MAGIC[2] &&
    buf[at + 3] === FRAME_MAGIC[3] &&
    crc32cOf(buf.subarray(at + 8, at + FRAME_HEADER_BYTES)) === buf.readUInt32LE(at + 4)
  );
}
