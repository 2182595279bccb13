// InFlight: the bound holds, a failure stops further starts, and nothing is left running when
// the caller gets the failure (the copier removes a half-built tree right after).

import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../shared/in-flight.js';

/** A task the test ends by hand, once, recording how many ran at once. */
function gate(counter: { now: number; most: number }) {
  let end: ((error?: Error) => void) | undefined;
  let started = false;
  const task = () =>
    new Promise<void>((resolve, reject) => {
      started = true;
      counter.now++;
      counter.most = Math.max(counter.most, counter.now);
      end = (error) => {
        end = undefined;
        counter.now--;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
  return { task, end: (error?: Error) => end?.(error), started: () => started };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('InFlight', () => {
  it('never runs more than its limit, and starts the next as soon as one ends', async () => {
    const counter = { now: 0, most: 0 };
    const inFlight = new InFlight(3);
    const gates = Array.from({ length: 5 }, () => gate(counter));
    const starting = (async () => {
      for (const { task } of gates) await inFlight.start(task);
    })();
    await tick();
    expect(counter.now).toBe(3);
    expect(gates[3]?.started()).toBe(false);
    gates[1]?.end();
    await tick();
    expect(counter.now).toBe(3);
    expect(gates[3]?.started()).toBe(true);
    while (counter.now > 0 || !gates.every(({ started }) => started())) {
      for (const { end } of gates) end();
      await tick();
    }
    await starting;
    await inFlight.idle();
    expect(counter.most).toBe(3);
    expect(counter.now).toBe(0);
    inFlight.throwIfFailed();
  });

  it('starts nothing after a failure, and throws it only once the running tasks ended', async () => {
    const counter = { now: 0, most: 0 };
    const inFlight = new InFlight(2);
    const [first, second] = [gate(counter), gate(counter)];
    expect(await inFlight.start(first.task)).toBe(true);
    expect(await inFlight.start(second.task)).toBe(true);
    first.end(new Error('first failed'));
    await tick();
    let started = false;
    expect(
      await inFlight.start(async () => {
        started = true;
      }),
    ).toBe(false);
    expect(started).toBe(false);

    let idle = false;
    const waiting = inFlight.idle().then(() => {
      idle = true;
    });
    await tick();
    expect(idle).toBe(false); // the second task still runs
    second.end();
    await waiting;
    expect(() => inFlight.throwIfFailed()).toThrow('first failed');
  });

  it('forEach stops at the first failure and rethrows it after the running items end', async () => {
    const seen: number[] = [];
    let running = 0;
    let runningAtThrow = -1;
    const failing = InFlight.forEach([1, 2, 3, 4, 5, 6, 7, 8], 2, async (item) => {
      running++;
      seen.push(item);
      await new Promise((resolve) => setTimeout(resolve, item === 2 ? 1 : 20));
      running--;
      if (item === 2) throw new Error('item 2');
    });
    await expect(
      failing.catch((error: Error) => {
        runningAtThrow = running;
        throw error;
      }),
    ).rejects.toThrow('item 2');
    expect(runningAtThrow).toBe(0);
    expect(seen.length).toBeLessThan(8);
  });
});
