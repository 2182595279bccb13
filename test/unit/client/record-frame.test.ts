import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DuplicateFilter, SEQ_WINDOW } from '../../../client/sdk/records/duplicate-filter.js';
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  framedLength,
  nextHeader,
  probeFrame,
} from '../../../client/sdk/records/frame.js';
import { framesIn } from '../../../client/sdk/records/reader.js';

const writer = Buffer.from('0123456789abcdef', 'hex');

function frame(seq: number, payload: Buffer): Buffer {
  const bytes = Buffer.alloc(framedLength(payload.length));
  encodeFrame(bytes, 0, writer, seq, payload);
  return bytes;
}

async function scan(buffer: Buffer, windowBytes = 64): Promise<Array<{ start: number; seq: number; payload: string }>> {
  const read = async (from: number, to: number) => Buffer.from(buffer.subarray(from, to));
  const found = [];
  for await (const f of framesIn(read, 0, buffer.length, windowBytes)) {
    found.push({ start: f.start, seq: f.seq, payload: f.payload.toString('latin1') });
  }
  return found;
}

describe('record frames', () => {
  it('round-trips the header fields and payload, including sequence numbers above 2^32', () => {
    const payload = Buffer.from('hello');
    const bytes = frame(2 ** 40 + 7, payload);
    expect(bytes.length).toBe(FRAME_HEADER_BYTES + 5);
    const probe = probeFrame(bytes, 0, bytes.length, bytes.length);
    expect(probe.kind).toBe('frame');
    if (probe.kind !== 'frame') return;
    expect(probe.frame.seq).toBe(2 ** 40 + 7);
    expect(probe.frame.writer).toBe('0123456789abcdef');
    expect(probe.frame.payload.toString()).toBe('hello');
  });

  it('refuses a flipped payload byte, a flipped header byte, and a frame crossing the limit', () => {
    const bytes = frame(1, Buffer.from('payload'));
    const payloadFlip = Buffer.from(bytes);
    payloadFlip[FRAME_HEADER_BYTES + 2] = (payloadFlip[FRAME_HEADER_BYTES + 2] ?? 0) ^ 1;
    expect(probeFrame(payloadFlip, 0, bytes.length, bytes.length).kind).toBe('invalid');
    const headerFlip = Buffer.from(bytes);
    headerFlip[9] = (headerFlip[9] ?? 0) ^ 1;
    expect(probeFrame(headerFlip, 0, bytes.length, bytes.length).kind).toBe('invalid');
    expect(probeFrame(bytes, 0, bytes.length, bytes.length - 1).kind).toBe('invalid');
    expect(probeFrame(bytes, 0, bytes.length - 1, bytes.length)).toEqual({ kind: 'more', end: bytes.length });
  });

  it('finds the next header past garbage that contains the magic without a valid header', () => {
    const garbage = Buffer.concat([
      Buffer.from('xxGFR1yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy'),
      frame(3, Buffer.from('z')),
    ]);
    expect(nextHeader(garbage, 0, garbage.length)).toBe(42);
  });

  it('scans past padding, torn frames and garbage, across read windows', async () => {
    const a = frame(1, Buffer.from('first'));
    const torn = frame(2, Buffer.alloc(100, 7)).subarray(0, 60);
    const b = frame(3, Buffer.alloc(300, 9));
    const buffer = Buffer.concat([a, torn, Buffer.alloc(77), b, Buffer.from('trailing junk'), Buffer.alloc(500)]);
    const found = await scan(buffer, 50);
    expect(found.map((f) => [f.start, f.seq])).toEqual([
      [0, 1],
      [a.length + torn.length + 77, 3],
    ]);
  });

  it('recovers every intact frame whatever lies between them (property)', async () => {
    const piece = fc.oneof(
      fc.record({ kind: fc.constant('frame' as const), size: fc.integer({ min: 0, max: 200 }) }),
      fc.record({ kind: fc.constant('zeros' as const), size: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant('torn' as const), size: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ kind: fc.constant('junk' as const), bytes: fc.uint8Array({ maxLength: 80 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), fc.integer({ min: 33, max: 400 }), async (pieces, w) => {
        const parts: Buffer[] = [];
        const expected: Array<[number, number]> = [];
        let at = 0;
        let seq = 0;
        for (const p of pieces) {
          let bytes: Buffer;
          if (p.kind === 'frame') {
            bytes = frame(++seq, Buffer.alloc(p.size, seq & 0xff));
            expected.push([at, seq]);
          } else if (p.kind === 'zeros') bytes = Buffer.alloc(p.size);
          else if (p.kind === 'torn') {
            // A write cut short, garbage after it: the payload's last byte is not what was framed.
            // (Truncating instead would let the next piece's first byte complete it by chance.)
            bytes = frame(1_000_000 + ++seq, Buffer.alloc(p.size, 3));
            bytes[bytes.length - 1] = 4;
          } else bytes = Buffer.from(p.bytes);
          parts.push(bytes);
          at += bytes.length;
        }
        const found = await scan(Buffer.concat(parts), w);
        // Every intact frame is found, at its offset; nothing else is (junk never forms a valid frame).
        expect(found.map((f) => [f.start, f.seq])).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe('DuplicateFilter', () => {
  it('passes each (writer, seq) once, in any order within the window', () => {
    const filter = new DuplicateFilter();
    expect(filter.firstSeen('a', 5)).toBe(true);
    expect(filter.firstSeen('a', 3)).toBe(true);
    expect(filter.firstSeen('b', 5)).toBe(true);
    expect(filter.firstSeen('a', 5)).toBe(false);
    expect(filter.firstSeen('a', 3)).toBe(false);
    expect(filter.firstSeen('b', 5)).toBe(false);
  });

  it('recognises duplicates up to SEQ_WINDOW behind the newest and never drops an unseen record', () => {
    const filter = new DuplicateFilter();
    for (let seq = 0; seq < 3 * SEQ_WINDOW; seq++) expect(filter.firstSeen('w', seq)).toBe(true);
    expect(filter.firstSeen('w', 3 * SEQ_WINDOW - 1)).toBe(false);
    expect(filter.firstSeen('w', 2 * SEQ_WINDOW + 1)).toBe(false);
    // Far below the window: let through (a duplicate is better than a loss).
    expect(filter.firstSeen('w', 5)).toBe(true);
  });
});
