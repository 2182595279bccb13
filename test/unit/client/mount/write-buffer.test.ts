import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../../client/mount/byte-budget.js';
import { type RangeWriter, WriteBuffer, type WriteBufferOptions } from '../../../../client/mount/write-buffer.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** A file in memory behind a RangeWriter that lands each write after `delayTurns` event-loop turns. */
class MemoryFile {
  bytes = Buffer.alloc(0);
  readonly calls: { offset: number; length: number }[] = [];
  inFlight = 0;
  inFlightMax = 0;
  failNext = false;

  constructor(private readonly delayTurns: () => number = () => 0) {}

  readonly writer: RangeWriter = async (data, offset) => {
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
      if (this.bytes.byteLength < offset + copy.byteLength) {
        const grown = Buffer.alloc(offset + copy.byteLength);
        this.bytes.copy(grown);
        this.bytes = grown;
      }
      copy.copy(this.bytes, offset);
    } finally {
      this.inFlight -= 1;
    }
  };
}

function buffer(file: MemoryFile, options: Partial<WriteBufferOptions> = {}) {
  const budget = options.budget ?? new ByteBudget(256 * MiB);
  return {
    budget,
    writes: new WriteBuffer(file.writer, {
      chunkSizeBytes: 64 * MiB,
      gatherBytes: 4 * MiB,
      runsInFlight: 6,
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
            runsInFlight: 3,
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
