// Re-replication driven tick by tick with an injected clock and a fake clone caller the test
// completes by hand: priority order, throttles, strict levels, the lease rules, stale clones,
// corrupt replicas, failure detection and the fsck view.

import { afterEach, describe, expect, it } from 'vitest';
import { GfsError } from '../../../shared/errors.js';
import {
  CHUNK,
  type CloneCall,
  cleanUpHarnesses,
  DEAD_AFTER_MS,
  type Harness,
  harness,
  LEASE_MS,
} from './repair-harness.js';

afterEach(cleanUpHarnesses);

const started = (h: Harness) => h.clones.map((call) => call.body.handle);

describe('re-replication order', () => {
  it('repairs chunks farthest below their goal first, then live files before trashed ones', async () => {
    const h = await harness({ clonesInFlightMax: 1 });
    // cs1..cs3 hold everything; cs4 is an empty spare. After cs2 and cs3 die, chunk 1 and 2 keep
    // one replica (cs1), chunk 3 keeps two (it was on cs4 too), chunk 4 (trashed) keeps one.
    await h.files({ '/a': ['3', '1'], '/old': ['4'], '/b': ['2'] });
    await h.trash('/old');
    await h.server('cs1', ['1', '2', '3', '4']);
    await h.server('cs2', ['1', '2', '3', '4']);
    await h.server('cs3', ['1', '2', '4']);
    await h.server('cs4', ['3']);
    await h.server('cs5', []);
    await h.server('cs6', []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs4', 'cs5', 'cs6');

    h.node.repair.tick();
    expect(started(h)).toEqual(['1']);
    await h.drain();
    // One replica (missing 2): live 1, 2, then trashed 4; then those at two (missing 1) in handle order.
    expect(started(h)).toEqual(['1', '2', '4', '1', '2', '3', '4']);
    expect(h.node.repair.cloneLog().map((clone) => clone.replicasBefore)).toEqual([1, 1, 1, 2, 2, 2, 2]);
    expect(h.node.health().counts).toEqual({ underReplicated: 0, lost: 0, corrupt: 0 });
    expect(h.node.repair.status()).toEqual({ inFlight: 0, done: 7, failed: 0, waiting: 0, lost: 0 });
  });

  it('clones from a live good replica to a server without one, and adds it only once the clone is done', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1']);
    await h.server('cs3', ['1']);
    await h.server('cs4', []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    const [call] = h.clones;
    expect(call?.target).toBe('cs4:1');
    expect(call?.body).toEqual({ handle: '1', version: 1, source: expect.stringMatching(/^cs[12]:1$/) });
    expect(h.node.registry.liveHolderCount('1')).toBe(2);
    expect(h.node.repair.status()).toMatchObject({ inFlight: 1, waiting: 0 });
    call?.finish();
    await h.node.repair.settled();
    expect([...h.node.registry.holderIds('1')].sort()).toEqual(['cs1', 'cs2', 'cs3', 'cs4']);
    expect(h.node.registry.liveHolderCount('1')).toBe(3);
  });
});

describe('throttles', () => {
  it('runs at most clonesPerServerMax clones per server and clonesInFlightMax in all', async () => {
    const h = await harness({ clonesPerServerMax: 1, clonesInFlightMax: 2 });
    const handles = ['1', '2', '3', '4', '5', '6'];
    await h.files({ '/a': handles }, 2);
    // Sources cs1 and cs2 (each chunk has one replica left); targets cs3..cs5.
    await h.server('cs1', ['1', '2', '3']);
    await h.server('cs2', ['4', '5', '6']);
    await h.server('gone', handles);
    for (const id of ['cs3', 'cs4', 'cs5']) await h.server(id, []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs3', 'cs4', 'cs5');
    const inFlightMax = { total: 0, perServer: 0 };
    const busy = () => {
      const running = h.clones.filter((call) => !finished.has(call));
      const perServer = new Map<string, number>();
      for (const call of running) {
        for (const address of [call.target, call.body.source])
          perServer.set(address, (perServer.get(address) ?? 0) + 1);
      }
      inFlightMax.total = Math.max(inFlightMax.total, running.length);
      inFlightMax.perServer = Math.max(inFlightMax.perServer, ...perServer.values());
    };
    const finished = new Set<CloneCall>();
    for (let round = 0; round < 20 && h.node.health().counts.underReplicated > 0; round++) {
      h.node.repair.tick();
      h.node.repair.tick();
      busy();
      for (const call of h.clones) {
        if (!finished.has(call)) {
          finished.add(call);
          call.finish();
        }
      }
      await h.node.repair.settled();
    }
    expect(h.node.health().counts.underReplicated).toBe(0);
    expect(h.clones).toHaveLength(6);
    expect(inFlightMax).toEqual({ total: 2, perServer: 1 });
  });

  it('keeps levels strict: a chunk missing two waits for a slot, and no chunk missing one goes ahead', async () => {
    const h = await harness({ clonesPerServerMax: 1 });
    // Chunk 1 has one replica left, on cs1, and cs1 is busy: chunk 2 (two left, cs2 + cs3, idle)
    // could be cloned now, but must wait until chunk 1's clone could start.
    await h.files({ '/a': ['1', '9'], '/b': ['2'] });
    await h.server('cs1', ['1', '9']);
    await h.server('cs2', ['2']);
    await h.server('cs3', ['2']);
    await h.server('gone', ['1', '2', '9']);
    await h.server('cs4', []);
    await h.server('cs5', []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs3', 'cs4', 'cs5');
    h.node.repair.tick();
    expect(started(h)).toEqual(['1']);
    h.node.repair.tick();
    // Chunk 9 (also one replica, on busy cs1) holds chunk 2 back.
    expect(started(h)).toEqual(['1']);
    h.clones[0]?.finish();
    await h.node.repair.settled();
    h.node.repair.tick();
    // Chunk 9 got cs1's slot; chunk 1 (missing one now) may go from its new replica, as nothing
    // more urgent waits for a slot any more.
    expect(started(h).slice(0, 2)).toEqual(['1', '9']);
    await h.drain();
    expect(h.node.repair.cloneLog().map((clone) => clone.replicasBefore)).toEqual([1, 1, 2, 2, 2]);
    expect(new Set(started(h).slice(2))).toEqual(new Set(['1', '2', '9']));
  });

  it('a failed clone is tried again after the back-off, not at once', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1']);
    await h.server('gone', ['1']);
    await h.server('cs3', []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs3');
    h.node.repair.tick();
    h.clones[0]?.fail(new GfsError('UNAVAILABLE', 'target unreachable', 'cs3:1'));
    await h.node.repair.settled();
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    expect(h.node.repair.cloneLog()[0]).toMatchObject({ result: 'UNAVAILABLE' });
    expect(h.node.registry.liveHolderCount('1')).toBe(2);
    h.advance(5_000);
    h.heartbeat('cs1', 'cs2', 'cs3');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(2);
    expect(h.node.repair.status()).toMatchObject({ inFlight: 1, failed: 1 });
  });

  it('waits for the live set to settle after a change before cloning', async () => {
    const h = await harness({ settleMs: 2_000 });
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1']);
    await h.server('cs3', ['1']);
    await h.server('cs4', []);
    h.node.repair.tick();
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(0);
    h.advance(1_000);
    h.heartbeat('cs1', 'cs2', 'cs4');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(0);
    h.advance(1_000);
    h.heartbeat('cs1', 'cs2', 'cs4');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
  });
});

describe('clones and writes', () => {
  async function leasedChunk(h: Harness): Promise<void> {
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1']);
    await h.server('cs3', ['1']);
    await h.server('cs4', []);
    // cs3 dies; a write leases the chunk on the two live replicas (version 2).
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    await h.node.leases.lease('/a', 0);
    expect(h.node.state.chunks.get('1')?.version).toBe(2);
  }

  it('does not clone a chunk under a lease, and refuses to extend that lease', async () => {
    const h = await harness();
    await leasedChunk(h);
    h.node.repair.tick();
    expect(h.clones).toHaveLength(0);
    const primary = h.node.leases.leases.get('1')?.primaryId as string;
    expect(h.node.leases.extend(primary, ['1'])).toEqual([]);
    // Once the lease ran out, the clone goes ahead at the chunk's current version.
    h.advance(LEASE_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    h.node.repair.tick();
    expect(h.clones.map((call) => call.body)).toEqual([{ handle: '1', version: 2, source: expect.any(String) }]);
  });

  it('runs the clone a lapsed lease held back before the next lease, which then includes the new replica', async () => {
    const h = await harness();
    await leasedChunk(h);
    h.node.repair.tick();
    h.advance(LEASE_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    // The next write asks for a lease before any tick: the clone starts first, the lease waits.
    const lease = h.node.leases.lease('/a', 0);
    await Promise.resolve();
    expect(h.clones).toHaveLength(1);
    expect(h.grants.filter((grant) => grant.version === 3)).toHaveLength(0);
    h.clones[0]?.finish();
    const grant = await lease;
    expect(grant.version).toBe(3);
    expect([grant.primary, ...grant.secondaries].sort()).toEqual(['cs1:1', 'cs2:1', 'cs4:1']);
  });

  it('holds lease requests while a clone runs, so no write can reach a replica meanwhile', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1']);
    await h.server('gone', ['1']);
    await h.server('cs3', []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs3');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    let granted = false;
    const lease = h.node.leases.lease('/a', 0).then((reply) => {
      granted = true;
      return reply;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(granted).toBe(false);
    expect(h.grants).toHaveLength(0);
    h.clones[0]?.finish();
    const reply = await lease;
    expect(reply.secondaries).toHaveLength(2);
  });

  it('does not count a clone of a chunk that was deleted meanwhile, and has the copy deleted', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1']);
    await h.server('gone', ['1']);
    await h.server('cs3', []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs3');
    h.node.repair.tick();
    await h.node.commit({ op: 'delete', path: '/a', recursive: false, mtimeMs: 2 });
    h.clones[0]?.finish();
    await h.node.repair.settled();
    expect(h.node.repair.cloneLog()[0]).toMatchObject({ result: 'stale', target: 'cs3:1' });
    expect(h.node.registry.holderIds('1').size).toBe(0);
    expect(h.node.registry.takeDeletes('cs3')).toEqual(['1']);
    expect(h.node.repair.status()).toMatchObject({ done: 0, failed: 1 });
  });
});

describe('placement of clones', () => {
  it('prefers another rack than the surviving replicas, then the lowest utilisation', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1'], { rack: 'r1' });
    await h.server('cs2', ['1'], { rack: 'r1' });
    await h.server('cs3', ['1'], { rack: 'r2' });
    await h.server('idle-r1', [], { rack: 'r1', usedBytes: 0 });
    await h.server('full-r3', [], { rack: 'r3', usedBytes: 9e11 });
    await h.server('half-r3', [], { rack: 'r3', usedBytes: 5e11 });
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'idle-r1', 'full-r3', 'half-r3');
    h.node.repair.tick();
    expect(h.clones.map((call) => call.target)).toEqual(['half-r3:1']);
  });

  it('never clones to a server without room for a chunk, or one that has a copy already', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] });
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1']);
    await h.server('gone', ['1']);
    await h.server('full', [], { capacityBytes: CHUNK * 10, usedBytes: CHUNK * 9 + 1 });
    await h.server('corrupt', ['1']);
    h.node.registry.markCorrupt('1', 'corrupt');
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'full', 'corrupt');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(0);
    expect(h.node.repair.status()).toMatchObject({ waiting: 1, inFlight: 0 });
  });
});

describe('corrupt replicas and failure detection', () => {
  it('keeps a corrupt replica out of service until a clone replaces it, then has it deleted', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] });
    for (const id of ['cs1', 'cs2', 'cs3']) await h.server(id, ['1']);
    await h.server('cs4', []);
    h.node.registry.markCorrupt('1', 'cs3');
    // A later full report from cs3 does not bring it back.
    await h.node.processReport('cs3', [{ handle: '1', version: 1, size: CHUNK }]);
    expect(h.node.registry.liveHolderCount('1')).toBe(2);
    const health = h.node.health();
    expect(health.counts).toEqual({ underReplicated: 1, lost: 0, corrupt: 1 });
    expect(health.corrupt[0]).toMatchObject({ handle: '1', corruptIds: ['cs3'], live: 2 });
    expect(h.node.registry.takeDeletes('cs3')).toEqual([]);

    h.node.repair.tick();
    expect(h.clones.map((call) => call.target)).toEqual(['cs4:1']);
    await h.drain();
    h.node.repair.requestScan();
    h.node.repair.tick();
    expect(h.node.health().counts).toEqual({ underReplicated: 0, lost: 0, corrupt: 0 });
    expect(h.node.registry.takeDeletes('cs3')).toEqual(['1']);
  });

  it("a dead server's replicas stop counting; fsck lists the lost and under-replicated chunks", async () => {
    const h = await harness();
    await h.files({ '/a': ['1', '2'] }, 2);
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1', '2']);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1');
    const health = h.node.health();
    expect(health.counts).toEqual({ underReplicated: 1, lost: 1, corrupt: 0 });
    expect(health.lost.map((chunk) => [chunk.path, chunk.index, chunk.handle])).toEqual([['/a', 1, '2']]);
    expect(health.underReplicated.map((chunk) => [chunk.handle, chunk.live, chunk.goal])).toEqual([['1', 1, 2]]);
    expect(h.node.chunksBelowGoal()).toBe(2);
    h.node.repair.tick();
    expect(h.node.repair.status()).toMatchObject({ lost: 1 });
  });
});

describe('a health scan in slices', () => {
  it('runs one slice per tick, asks to be ticked again, and repairs as the whole scan would', async () => {
    const h = await harness({ scanSliceWork: 2 });
    const handles = ['1', '2', '3', '4', '5', '6'];
    await h.files({ '/a': ['1', '2'], '/b': ['3', '4'], '/c': ['5', '6'] });
    await h.server('cs1', handles);
    await h.server('cs2', handles);
    await h.server('cs3', handles);
    await h.server('cs4', []);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    let asked = 0;
    h.node.repair.onScanSliceDone = () => asked++;
    h.node.repair.tick();
    // The scan is not done after one slice: nothing is queued yet, and the master is asked to tick again.
    expect(asked).toBe(1);
    expect(h.clones).toHaveLength(0);
    expect(h.node.repair.lastCounts).toBeUndefined();
    // The master continues the scan between ticks: no clone starts there, only at the next tick.
    for (let slices = 0; slices < 20 && h.node.repair.lastCounts === undefined; slices++) h.node.repair.continueScan();
    expect(asked).toBeGreaterThan(1);
    expect(h.node.repair.lastCounts).toEqual({ underReplicated: 6, lost: 0, corrupt: 0 });
    expect(h.clones).toHaveLength(0);
    h.node.repair.tick();
    expect(h.clones.length).toBeGreaterThan(0);
  });

  it('starts over when the live set changes in the middle of a scan', async () => {
    const h = await harness({ scanSliceWork: 2 });
    await h.files({ '/a': ['1', '2'], '/b': ['3', '4'] });
    for (const id of ['cs1', 'cs2', 'cs3']) await h.server(id, ['1', '2', '3', '4']);
    await h.server('cs4', []);
    h.node.repair.onScanSliceDone = () => undefined;
    for (let ticks = 0; ticks < 20 && h.node.repair.lastCounts === undefined; ticks++) h.node.repair.tick();
    expect(h.node.repair.lastCounts).toEqual({ underReplicated: 0, lost: 0, corrupt: 0 });
    // The next scan is due: one slice of it, then cs3 dies: that scan judged the old live set.
    h.advance(5_001);
    h.heartbeat('cs1', 'cs2', 'cs3', 'cs4');
    h.node.repair.requestScan();
    h.node.repair.tick();
    const before = h.node.repair.lastCounts;
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    // The first scan to complete after the death is a new one: the stale one never reports.
    for (let ticks = 0; ticks < 20 && h.node.repair.lastCounts === before; ticks++) h.node.repair.tick();
    expect(h.node.repair.lastCounts).not.toBe(before);
    expect(h.node.repair.lastCounts).toEqual({ underReplicated: 4, lost: 0, corrupt: 0 });
  });
});
