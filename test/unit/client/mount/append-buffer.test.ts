import { describe, expect, it } from 'vitest';
import { AppendBuffer } from '../../../../client/mount/append-buffer.js';
import { ByteBudget } from '../../../../client/mount/byte-budget.js';

/** A file whose end another writer keeps moving: each reservation first skips `foreign` bytes. */
function cluster(foreign = 0) {
  let length = 0;
  const content = new Map<number, string>();
  const reservations: number[] = [];
  return {
    content,
    reservations,
    reserve: async (bytes: number) => {
      length += foreign;
      const offset = length;
      length += bytes;
      reservations.push(bytes);
      return offset;
    },
    write: async (data: Buffer, offset: number) => {
      await new Promise((resolve) => setImmediate(resolve));
      content.set(offset, data.toString());
    },
  };
}

describe('AppendBuffer', () => {
  it('batches appends into one reservation each, in order, and never splits one', async () => {
    const fake = cluster(5);
    const budget = new ByteBudget(1 << 20);
    const appends = new AppendBuffer(fake.reserve, fake.write, {
      gatherBytes: 10,
      batchesInFlight: 2,
      idleSendMs: 0,
      budget,
    });
    for (const line of ['aaaa', 'bbbb', 'cccc', 'dddddddddddd', 'e']) await appends.append(Buffer.from(line));
    await appends.flush();
    expect(fake.reservations).toEqual([8, 4, 12, 1]);
    expect([...fake.content.entries()].sort((x, y) => x[0] - y[0])).toEqual([
      [5, 'aaaabbbb'],
      [18, 'cccc'],
      [27, 'dddddddddddd'],
      [44, 'e'],
    ]);
    expect(appends.endBytes).toBe(45);
    expect(budget.used).toBe(0);
  });

  it('reports a failed reservation at the next flush', async () => {
    const budget = new ByteBudget(1 << 20);
    const appends = new AppendBuffer(
      async () => {
        throw new Error('master down');
      },
      async () => undefined,
      { gatherBytes: 1 << 20, batchesInFlight: 2, idleSendMs: 0, budget },
    );
    await appends.append(Buffer.from('x'));
    await expect(appends.flush()).rejects.toThrow('master down');
    await appends.flush();
    expect(budget.used).toBe(0);
  });
});
