import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../../client/mount/byte-budget.js';
import { type RangeSink, WriteBuffer, type WriteBufferOptions } from '../../../../client/mount/write-buffer.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * A file in memory behind a RangeSink that lands each write after `delayTurns` event-loop turns;
 * `lengthBytes` is the length "at the master", set only by recordLength.
 */
class MemoryFile {
  private store = Buffer.alloc(0);
  private endBytes = 0;
  lengthBytes = 0;
  readonly calls: { offset: number; length: number }[] = [];
  readonly records: number[] = [];
  /** Writes still in flight when each length record started (must be 0: only landed bytes count). */
  readonly inFlightAtRecord: number[] = [];
  inFlight = 0;
  inFlightMax = 0;
  failNext = false;
  /** Length records that fail before one succeeds. */
  recordFailures = 0;

  constructor(private readonly delayTurns: () => number = () => 0) {}

  /** The bytes written so far, up to the highest one. */
  get bytes(): Buffer {
    return this.store.subarray(0, this.endBytes);
  }

  readonly sink: RangeSink = {
    write: (data, offset) => this.write(data, offset),
    recordLength: async (endBytes) => {
      this.inFlightAtRecord.push(this.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      if (this.recordFailures > 0) {
        this.recordFailures -= 1;
        throw new Error('master unreachable');
      }
      this.records.push(endBytes);
      this.lengthBytes = Math.max(this.lengthBytes, endBytes);
    },
  };

  private readonly write = async (data: Buffer, offset: number) => {
    this.calls.push({ offset, length: data.byteLength });
    this.inFlight += 1;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
    const copy = Buffer.from(data);
    try {
      for (let i = this.delayTurns(); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
      if (this.failNext) {
        this.failNext = false;
        throw new Error('replica failed');
      }
      const end = offset + copy.byteLength;
      if (this.store.byteLength < end) {
        const grown = Buffer.alloc(Math.max(end, 2 * this.store.byteLength));
        this.store.copy(grown);
        this.store = grown;
      }
      copy.copy(this.store, offset);
      this.endBytes = Math.max(this.endBytes, end);
    } finally {
      this.inFlight -= 1;
    }
  };
}

function buffer(file: MemoryFile, options: Partial<WriteBufferOptions> = {}) {
  const budget = options.budget ?? new ByteBudget(256 * MiB);
  return {
    budget,
    writes: new WriteBuffer(file.sink, {
      chunkSizeBytes: 64 * MiB,
      gatherBytes: 4 * MiB,
      rangesInFlightMax: 16,
      bytesInFlightMax: 24 * MiB,
      pageBytes: 64 * KiB,
      dirtyBytesMax: 64 * MiB,
      idleSendMs: 0,
      ...options,
      budget,
    }),
  };
}

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7) & 0xff;
  return out;
}

describe('WriteBuffer', () => {
  it('sends a sequential writer’s 128 KiB requests as whole 4 MiB windows, the last one at flush', async () => {
    const file = new MemoryFile();
    const { writes, budget } = buffer(file);
    const data = pattern(10 * MiB + 5, 1);
    for (let offset = 0; offset < data.byteLength; offset += 128 * KiB) {
      await writes.write(data.subarray(offset, offset + 128 * KiB), offset);
    }
    expect(file.calls).toEqual([
      { offset: 0, length: 4 * MiB },
      { offset: 4 * MiB, length: 4 * MiB },
    ]);
    await writes.flush();
    expect(file.calls.at(-1)).toEqual({ offset: 8 * MiB, length: 2 * MiB + 5 });
    expect(file.bytes.equals(data)).toBe(true);
    expect(writes.dirty).toBe(false);
    expect(budget.used).toBe(0);
  });

  it('merges random 4 KiB writes into one write per window, and never crosses a chunk', async () => {
    const file = new MemoryFile();
    const { writes } = buffer(file, { chunkSizeBytes: 1 * MiB, gatherBytes: 4 * MiB });
    const data = pattern(2 * MiB, 2);
    const pages = Array.from({ length: 512 }, (_, i) => i);
    // A fixed shuffle: every page once, in an order that is nowhere near sequential.
    pages.sort((a, b) => ((a * 7919) % 512) - ((b * 7919) % 512));
    for (const page of pages) await writes.write(data.subarray(page * 4 * KiB, (page + 1) * 4 * KiB), page * 4 * KiB);
    await writes.flush();
    expect(file.calls.sort((a, b) => a.offset - b.offset)).toEqual([
      { offset: 0, length: 1 * MiB },
      { offset: 1 * MiB, length: 1 * MiB },
    ]);
    expect(file.bytes.equals(data)).toBe(true);
  });

  it('sends the oldest windows once a file holds more than dirtyBytesMax', async () => {
    const file = new MemoryFile();
    const { writes } = buffer(file, { gatherBytes: 1 * MiB, dirtyBytesMax: 2 * MiB });
    // Every other 4 KiB page of five windows (512 KiB each): no window fills, none is sequential.
    for (let window = 0; window < 5; window++) {
      for (let page = 0; page < 256; page += 2) {
        await writes.write(Buffer.alloc(4 * KiB, window + 1), window * MiB + page * 4 * KiB);
      }
    }
    // Past 2 MiB, the oldest windows (0, 1, 2) went until at most 1 MiB stayed gathered.
    expect(file.calls).toHaveLength(3 * 128);
    expect(Math.max(...file.calls.map((call) => call.offset))).toBeLessThan(3 * MiB);
    await writes.flush();
    expect(file.calls).toHaveLength(5 * 128);
  });

  it('lands overlapping writes in the order they were made, whatever the delays (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            offset: fc.integer({ min: 0, max: 300_000 }),
            length: fc.integer({ min: 1, max: 70_000 }),
            flush: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 50 }),
        async (steps, delays) => {
          let next = 0;
          const file = new MemoryFile(() => delays[next++ % delays.length] as number);
          const { writes, budget } = buffer(file, {
            chunkSizeBytes: 128 * KiB,
            gatherBytes: 64 * KiB,
            rangesInFlightMax: 3,
            bytesInFlightMax: 100 * KiB,
            pageBytes: 16 * KiB,
            dirtyBytesMax: 100 * KiB,
          });
          let model = Buffer.alloc(0);
          for (const [index, step] of steps.entries()) {
            const data = pattern(step.length, index);
            if (model.byteLength < step.offset + step.length) {
              const grown = Buffer.alloc(step.offset + step.length);
              model.copy(grown);
              model = grown;
            }
            data.copy(model, step.offset);
            await writes.write(data, step.offset);
            if (step.flush) await writes.flush();
          }
          await writes.flush();
          expect(file.bytes.subarray(0, model.byteLength).equals(model)).toBe(true);
          expect(file.inFlightMax).toBeLessThanOrEqual(3);
          expect(budget.used).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reports a failed background write once, at the next flush', async () => {
    const file = new MemoryFile();
    const { writes } = buffer(file);
    file.failNext = true;
    await writes.write(Buffer.from('lost'), 0);
    await expect(writes.flush()).rejects.toThrow('replica failed');
    await writes.write(Buffer.from('kept'), 0);
    await writes.flush();
    expect(file.bytes.toString()).toBe('kept');
  });

  it('records the length once for many ranges, after they landed, before flush returns', async () => {
    const file = new MemoryFile(() => 2);
    const { writes } = buffer(file, { gatherBytes: 64 * KiB, pageBytes: 16 * KiB });
    // 1 KiB in each of 40 windows, highest first: 40 ranges, one length record.
    for (let window = 39; window >= 0; window--) {
      await writes.write(Buffer.alloc(KiB, window), window * 64 * KiB + 100);
    }
    expect(file.records).toEqual([]);
    await writes.flush();
    expect(file.calls).toHaveLength(40);
    expect(file.records).toEqual([39 * 64 * KiB + 100 + KiB]);
    expect(file.inFlightAtRecord).toEqual([0]);
    expect(file.lengthBytes).toBe(39 * 64 * KiB + 100 + KiB);
    expect(writes.dirty).toBe(false);
    // A drain (before a read) records too.
    await writes.write(Buffer.alloc(10), 3 * MiB);
    await writes.drain();
    expect(file.lengthBytes).toBe(3 * MiB + 10);
  });

  it('reports a failed length record at flush, stays dirty, and records at the next flush', async () => {
    const file = new MemoryFile();
    const { writes } = buffer(file);
    await writes.write(Buffer.from('bytes'), 1000);
    // The record made when the range landed fails, and so does the flush's own try.
    file.recordFailures = 2;
    await expect(writes.flush()).rejects.toThrow('master unreachable');
    expect(file.bytes.subarray(1000).toString()).toBe('bytes');
    expect(file.lengthBytes).toBe(0);
    expect(writes.dirty).toBe(true);
    await writes.flush();
    expect(file.lengthBytes).toBe(1005);
    expect(writes.dirty).toBe(false);
  });

  it('holds a page per scattered small write, not a window, and sends a range within a page as is', async () => {
    const file = new MemoryFile();
    const { writes, budget } = buffer(file, { gatherBytes: 1 * MiB, pageBytes: 64 * KiB });
    for (let window = 0; window < 100; window++) {
      await writes.write(pattern(4 * KiB, window), window * MiB + 70 * KiB);
    }
    expect(budget.used).toBe(100 * 64 * KiB);
    // Two pages' worth across a page boundary: one range, copied out of both.
    await writes.write(pattern(8 * KiB, 200), 100 * MiB + 60 * KiB);
    expect(budget.used).toBe(102 * 64 * KiB);
    await writes.flush();
    expect(file.calls).toHaveLength(101);
    expect(file.bytes.subarray(100 * MiB + 60 * KiB).equals(pattern(8 * KiB, 200))).toBe(true);
    expect(file.bytes.subarray(7 * MiB + 70 * KiB, 7 * MiB + 74 * KiB).equals(pattern(4 * KiB, 7))).toBe(true);
    expect(budget.used).toBe(0);
  });

  it('keeps going on a tiny memory budget: it sends what it holds and waits, never deadlocks', async () => {
    const file = new MemoryFile(() => 1);
    const budget = new ByteBudget(256 * KiB);
    const { writes } = buffer(file, { budget, gatherBytes: 1 * MiB });
    const data = pattern(3 * MiB, 3);
    for (let offset = 0; offset < data.byteLength; offset += 32 * KiB) {
      await writes.write(data.subarray(offset, offset + 32 * KiB), offset);
    }
    await writes.flush();
    expect(file.bytes.equals(data)).toBe(true);
    expect(budget.used).toBe(0);
  });
});
