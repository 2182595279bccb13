// The scrubber's scheduling with an injected clock and sleep (time moves only when the scrubber
// sleeps): idle gating, oldest-verified first, the rate bound, the re-verification interval, a
// pass interrupted by client I/O resuming where it stopped, corrupt and vanished replicas, the
// state after a restart; and, against a real chunk store, a byte flipped on disk found and
// reported with no client read.

import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientActivity } from '../../../chunkserver/scrub/client-activity.js';
import { Scrubber, type ScrubSettings, type ScrubStore } from '../../../chunkserver/scrub/scrubber.js';
import { ChunkStore } from '../../../chunkserver/store/chunk-store.js';
import { GfsError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { pattern } from './helpers.js';

const MiB = 1024 * 1024;
const SETTINGS: ScrubSettings = {
  bytesPerSecond: 4 * MiB,
  idleMs: 1_000,
  intervalMs: 60_000,
  pieceBytes: MiB,
  pollMsMax: 500,
};

interface Read {
  handle: string;
  offset: number;
  atMs: number;
}

/**
 * A store of replicas with given sizes; `bad` makes reads of a handle's range fail their checksum;
 * `handlesWalked` counts the handles that `handles()` has copied out.
 */
class FakeStore implements ScrubStore {
  readonly reads: Read[] = [];
  readonly bad = new Set<string>();
  handlesWalked = 0;
  constructor(
    readonly sizes: Map<string, number>,
    private readonly clock: () => number,
  ) {}
  handles(): string[] {
    this.handlesWalked += this.sizes.size;
    return [...this.sizes.keys()];
  }
  get count(): number {
    return this.sizes.size;
  }
  sizeOf(handle: string): number {
    const size = this.sizes.get(handle);
    if (size === undefined) throw new GfsError('CHUNK_NOT_FOUND', 'gone', handle);
    return size;
  }
  async read(handle: string, offset: number, length: number): Promise<Buffer> {
    this.reads.push({ handle, offset, atMs: this.clock() });
    if (this.bad.has(handle)) throw new GfsError('CHECKSUM_MISMATCH', 'bad block', handle);
    return Buffer.alloc(length);
  }
}

interface Rig {
  scrubber: Scrubber;
  store: FakeStore;
  activity: ClientActivity;
  sleeps: number[];
  now(): number;
  /** Runs the scrubber until `done()` holds after one of its sleeps (or virtual time runs out). */
  runUntil(done: () => boolean, virtualMsMax?: number): Promise<void>;
  /** Called after every sleep (client I/O, deletions, … at chosen moments). */
  onSleep: (() => void) | undefined;
}

const running: Scrubber[] = [];
afterEach(async () => {
  for (const scrubber of running.splice(0)) await scrubber.stop();
});

function rig(sizes: Record<string, number>, settings: Partial<ScrubSettings> = {}): Rig {
  let now = 0;
  const clock = () => now;
  const store = new FakeStore(new Map(Object.entries(sizes)), clock);
  const activity = new ClientActivity(clock);
  const sleeps: number[] = [];
  let stopWhen: (() => boolean) | undefined;
  let deadline = Number.POSITIVE_INFINITY;
  let finished: (() => void) | undefined;
  const rigged: Rig = {
    scrubber: undefined as unknown as Scrubber,
    store,
    activity,
    sleeps,
    now: clock,
    onSleep: undefined,
    runUntil: async (done, virtualMsMax = 10 * 60_000) => {
      stopWhen = done;
      deadline = now + virtualMsMax;
      const over = new Promise<void>((resolve) => {
        finished = resolve;
      });
      rigged.scrubber.start();
      await over;
      await rigged.scrubber.stop();
      if (!done()) throw new Error(`virtual time ran out at ${now} ms`);
    },
  };
  rigged.scrubber = new Scrubber({
    store,
    activity,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
      rigged.onSleep?.();
      if (stopWhen?.() || now > deadline) finished?.();
      // Never resolve synchronously in a tight loop: yield to the test between steps.
      await new Promise((resolve) => setImmediate(resolve));
    },
    settings: { ...SETTINGS, ...settings },
    logger: silentLogger(),
  });
  running.push(rigged.scrubber);
  return rigged;
}

const order = (reads: readonly Read[]) => reads.map((read) => `${read.handle}@${read.offset / MiB}`);

describe('scrubber', () => {
  it('waits for idleness, then verifies never-verified replicas lowest handle first at the bounded rate', async () => {
    const r = rig({ '10': 2 * MiB, '9': MiB, '100': MiB / 2 });
    await r.runUntil(() => r.scrubber.progress().chunksDue === 0);
    expect(order(r.store.reads)).toEqual(['9@0', '10@0', '10@1', '100@0']);
    // Nothing is read before the server has been quiet for idleMs.
    expect(r.store.reads[0]?.atMs).toBe(SETTINGS.idleMs);
    // The rate bound: after each piece, its share of a second at 4 MiB/s.
    const throttle = r.sleeps.filter((ms) => ms !== SETTINGS.pollMsMax && ms !== SETTINGS.idleMs);
    expect(throttle).toEqual([250, 250, 250, 125]);
    expect(r.scrubber.progress()).toMatchObject({
      chunksDue: 0,
      chunksHeld: 3,
      bytesVerifiedTotal: 3.5 * MiB,
      chunksVerifiedTotal: 3,
      corruptFoundTotal: 0,
    });
  });

  it('verifies nothing again within the interval, then the oldest-verified first', async () => {
    const r = rig({ '1': MiB, '2': MiB, '3': MiB });
    await r.runUntil(() => r.store.reads.length === 3);
    const firstPassEnd = r.now();
    // A client touches the data path now and then: the scrubber waits for quiet each time.
    r.onSleep = () => {
      if (r.now() % 7_000 < SETTINGS.pollMsMax) r.activity.touch();
    };
    await r.runUntil(() => r.store.reads.length === 6);
    expect(order(r.store.reads)).toEqual(['1@0', '2@0', '3@0', '1@0', '2@0', '3@0']);
    for (const read of r.store.reads.slice(3)) {
      expect(read.atMs).toBeGreaterThanOrEqual(firstPassEnd + SETTINGS.intervalMs - 3 * 250);
    }
  });

  it('pauses within one piece when a client comes, and resumes the replica where it stopped', async () => {
    const r = rig({ '5': 3 * MiB, '6': MiB });
    r.onSleep = () => {
      if (r.store.reads.length === 1 && r.scrubber.progress().interruptedTotal === 0) r.activity.touch();
    };
    await r.runUntil(() => r.scrubber.progress().chunksDue === 0);
    expect(order(r.store.reads)).toEqual(['5@0', '5@1', '5@2', '6@0']);
    expect(r.scrubber.progress().interruptedTotal).toBe(1);
    // After the client's touch the next piece waited a full idle period.
    const [first, second] = r.store.reads;
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(SETTINGS.idleMs);
  });

  it('counts a corrupt replica once per interval and goes on; forgets replicas that vanish', async () => {
    const r = rig({ '1': 2 * MiB, '2': 2 * MiB, '3': MiB });
    r.store.bad.add('1');
    r.onSleep = () => {
      // Deleted (the master's order) while its pass is under way.
      if (r.store.reads.some((read) => read.handle === '2')) r.store.sizes.delete('2');
    };
    await r.runUntil(() => r.store.reads.some((read) => read.handle === '3'));
    expect(order(r.store.reads)).toEqual(['1@0', '2@0', '3@0']);
    expect(r.scrubber.progress()).toMatchObject({ corruptFoundTotal: 1, chunksVerifiedTotal: 1, chunksHeld: 2 });
    // The corrupt one is not read again within the interval (the master replaces it meanwhile).
    r.onSleep = undefined;
    await r.runUntil(() => r.now() > 30_000);
    expect(r.store.reads.filter((read) => read.handle === '1')).toHaveLength(1);
  });

  it('keeps verification times in memory only: after a restart every replica is due again', async () => {
    const r = rig({ '1': MiB, '2': MiB });
    await r.runUntil(() => r.scrubber.progress().chunksDue === 0);
    const restarted = new Scrubber({
      store: r.store,
      activity: r.activity,
      clock: r.now,
      sleep: async () => undefined,
      settings: SETTINGS,
      logger: silentLogger(),
    });
    expect(restarted.progress(r.now())).toMatchObject({ chunksDue: 2, chunksHeld: 2 });
    expect(restarted.nextDue(r.now())).toBe('1');
  });

  it('walks the store once per pass, not once per replica: 20,000 small replicas', async () => {
    const n = 20_000;
    const sizes: Record<string, number> = {};
    // Handles given in a shuffled order, so the store's order is not already the verification order.
    for (let i = 0; i < n; i++) sizes[String((i * 7_919) % n)] = 4096;
    const r = rig(sizes);
    await r.runUntil(() => r.store.reads.length === n);
    expect(r.store.reads.map((read) => read.handle)).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(r.store.handlesWalked).toBeLessThanOrEqual(5 * n);
  });

  it('does not run at all with a rate of 0', async () => {
    const r = rig({ '1': MiB }, { bytesPerSecond: 0 });
    r.scrubber.start();
    await r.scrubber.stop();
    expect(r.store.reads).toEqual([]);
    expect(r.sleeps).toEqual([]);
  });
});

describe('scrubber on a real chunk store', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('finds a byte flipped on disk behind the store’s back and reports it, with no client read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gfs-scrub-'));
    dirs.push(dir);
    const reported: string[] = [];
    const store = await ChunkStore.open({
      dataDir: dir,
      logger: silentLogger(),
      onCorruption: (h) => reported.push(h),
    });
    try {
      for (const handle of ['1', '2']) {
        await store.setVersion(handle, 1, true);
        await store.write(handle, 0, [pattern(MiB + 5000, Number(handle))], MiB + 5000);
      }
      const file = await open(join(dir, 'chunks', '2'), 'r+');
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, MiB + 100);
      byte[0] = (byte[0] ?? 0) ^ 0x01;
      await file.write(byte, 0, 1, MiB + 100);
      await file.close();

      let now = 0;
      const activity = new ClientActivity(() => now);
      let stop: (() => void) | undefined;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const scrubber = new Scrubber({
        store,
        activity,
        clock: () => now,
        sleep: async (ms) => {
          now += ms;
          if (scrubber.progress(now).chunksDue === 0) stop?.();
          await new Promise((resolve) => setImmediate(resolve));
        },
        settings: SETTINGS,
        logger: silentLogger(),
      });
      scrubber.start();
      await stopped;
      await scrubber.stop();
      expect(reported).toEqual(['2']);
      expect(scrubber.progress(now)).toMatchObject({
        corruptFoundTotal: 1,
        chunksVerifiedTotal: 1,
        bytesVerifiedTotal: MiB + 5000 + MiB,
      });
    } finally {
      await store.close();
    }
  });
});
