import { afterEach, describe, expect, it } from 'vitest';
import { SerialQueues } from '../../../chunkserver/mutation/serial-queue.js';
import { silentLogger } from '../../../shared/log.js';
import { codeOf } from './helpers.js';

describe('SerialQueues', () => {
  let queues: SerialQueues | undefined;

  afterEach(() => {
    queues?.close();
    queues = undefined;
  });

  it('applies out-of-order arrivals in serial order', async () => {
    queues = new SerialQueues({ logger: silentLogger(), gapWaitMs: 60_000 });
    const applied: number[] = [];
    const apply = (serial: number) => async () => {
      await new Promise((resolve) => setImmediate(resolve));
      applied.push(serial);
    };
    const arrivals = [3, 1, 5, 2, 4, 7, 6];
    await Promise.all(arrivals.map((serial) => queues?.submit('1', 2, serial, apply(serial))));
    expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(queues.nextSerialOf('1')).toBe(8);
  });

  it('reports a failed apply to its caller and goes on with the next serial', async () => {
    queues = new SerialQueues({ logger: silentLogger(), gapWaitMs: 60_000 });
    const first = queues.submit('1', 1, 1, async () => {
      throw new Error('disk full');
    });
    const second = queues.submit('1', 1, 2, async () => undefined);
    await expect(first).rejects.toThrow('disk full');
    await expect(second).resolves.toBeUndefined();
  });

  it('skips a gap that does not fill in time and refuses the late serial', async () => {
    queues = new SerialQueues({ logger: silentLogger(), gapWaitMs: 50 });
    const applied: number[] = [];
    const started = Date.now();
    await Promise.all(
      [3, 4].map((serial) =>
        queues?.submit('5', 1, serial, async () => {
          applied.push(serial);
        }),
      ),
    );
    expect(applied).toEqual([3, 4]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(await codeOf(queues.submit('5', 1, 2, async () => undefined))).toBe('INVALID_ARGUMENT');
  });

  it("bounds each wait from the mutation's own arrival, also behind an earlier gap", async () => {
    queues = new SerialQueues({ logger: silentLogger(), gapWaitMs: 500 });
    const first = queues.submit('6', 1, 3, async () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const arrivedMs = Date.now();
    // Behind serial 3 (waiting for 1..2) and its own gap (4): before, its wait began only once 3
    // was skipped to, 600 ms after its arrival.
    await queues.submit('6', 1, 5, async () => undefined);
    expect(Date.now() - arrivedMs).toBeLessThan(580);
    await first;
  });

  it('restarts serials at 1 for a new version and fails what waited on the old one', async () => {
    queues = new SerialQueues({ logger: silentLogger(), gapWaitMs: 60_000 });
    const waiting = queues.submit('9', 1, 2, async () => undefined);
    const applied: string[] = [];
    await queues.submit('9', 2, 1, async () => {
      applied.push('v2s1');
    });
    expect(await codeOf(waiting)).toBe('STALE_VERSION');
    expect(applied).toEqual(['v2s1']);
  });
});
