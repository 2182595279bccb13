import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../../client/mount/byte-budget.js';
import { ReadAhead } from '../../../../client/mount/read-ahead.js';
import { BufferPool } from '../../../../shared/buffer-pool.js';

const KiB = 1024;
const MiB = 1024 * KiB;

function file(length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 13 + 5) & 0xff;
  return out;
}

function reader(content: Buffer, budgetBytes = 256 * MiB) {
  const calls: { offset: number; length: number }[] = [];
  const budget = new ByteBudget(budgetBytes);
  const reads = new ReadAhead(
    async (into, offset) => {
      calls.push({ offset, length: into.byteLength });
      await new Promise((resolve) => setImmediate(resolve));
      return offset >= content.byteLength ? 0 : content.copy(into, 0, offset);
    },
    { blockBytes: 4 * MiB, blocksAheadMax: 6, granuleBytes: 128 * KiB, granulesMax: 8, budget, pool: new BufferPool() },
  );
  /** The bytes a read of `length` at `offset` copies out (what the FUSE reply carries). */
  const read = async (offset: number, length: number, sizeBytes: number) => {
    const into = Buffer.alloc(length);
    return into.subarray(0, await reads.read(into, offset, sizeBytes));
  };
  return { calls, reads, read, budget };
}

describe('ReadAhead', () => {
  it('serves a sequential 128 KiB reader from 4 MiB blocks read ahead (after one granule)', async () => {
    const content = file(20 * MiB + 100);
    const { calls, read } = reader(content);
    const parts: Buffer[] = [];
    for (let offset = 0; offset < content.byteLength; offset += 128 * KiB) {
      parts.push(await read(offset, 128 * KiB, content.byteLength));
    }
    expect(Buffer.concat(parts).equals(content)).toBe(true);
    // One read could be chance: the first is served from its granule, the stream from blocks.
    expect(calls[0]).toEqual({ offset: 0, length: 128 * KiB });
    expect(calls.slice(1).map((call) => call.offset / MiB)).toEqual([0, 4, 8, 12, 16, 20]);
  });

  it('tolerates requests of a stream that arrive slightly out of order', async () => {
    const content = file(9 * MiB);
    const { calls, read } = reader(content);
    const order = [0, 256, 128, 512, 384, 640, 896, 768].map((k) => k * KiB);
    for (const offset of order) {
      expect(
        (await read(offset, 128 * KiB, content.byteLength)).equals(content.subarray(offset, offset + 128 * KiB)),
      ).toBe(true);
    }
    expect(calls.slice(1).every((call) => call.length === 4 * MiB)).toBe(true);
  });

  it('reads the granule around a random read once and serves its neighbours from it', async () => {
    const content = file(64 * MiB);
    const { calls, read } = reader(content);
    for (const offset of [
      40 * MiB + 4 * KiB,
      40 * MiB + 64 * KiB,
      40 * MiB + 8 * KiB,
      10 * MiB + 12 * KiB,
      40 * MiB + 120 * KiB,
    ]) {
      expect((await read(offset, 4 * KiB, content.byteLength)).equals(content.subarray(offset, offset + 4 * KiB))).toBe(
        true,
      );
    }
    expect(calls).toEqual([
      { offset: 40 * MiB, length: 128 * KiB },
      { offset: 10 * MiB, length: 128 * KiB },
    ]);
  });

  it('stops at the size it is given, and re-reads after reset', async () => {
    const content = file(300 * KiB);
    const { calls, reads, read } = reader(content);
    expect((await read(200 * KiB, 200 * KiB, 300 * KiB)).byteLength).toBe(100 * KiB);
    expect((await read(300 * KiB, 10, 300 * KiB)).byteLength).toBe(0);
    const before = calls.length;
    await read(250 * KiB, 4 * KiB, 300 * KiB);
    expect(calls.length).toBe(before);
    reads.reset();
    await read(250 * KiB, 4 * KiB, 300 * KiB);
    expect(calls.length).toBe(before + 1);
  });

  it('without memory to spare it reads just the bytes asked, and gives every byte back', async () => {
    const content = file(10 * MiB);
    const { calls, reads, read, budget } = reader(content, 64 * KiB);
    for (let offset = 0; offset < content.byteLength; offset += 1 * MiB) {
      expect(
        (await read(offset, 128 * KiB, content.byteLength)).equals(content.subarray(offset, offset + 128 * KiB)),
      ).toBe(true);
    }
    expect(calls.every((call) => call.length <= 128 * KiB)).toBe(true);
    reads.reset();
    expect(budget.used).toBe(0);
  });
});
