// Trimming and rebalancing in the master, driven tick by tick with an injected clock and a fake
// clone caller (repair-harness.ts): which replica goes, when it may not, how a move ends, and how
// moves give way to re-replication, their rate and the servers' next heartbeats.

import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK, cleanUpHarnesses, DEAD_AFTER_MS, type Harness, harness } from './repair-harness.js';

afterEach(cleanUpHarnesses);

const holders = (h: Harness, handle: string) => [...h.node.registry.holderIds(handle)].sort();

describe('trimming replicas above the goal', () => {
  it('deletes the extra replica on the fullest server through its next heartbeat reply', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] }, 2);
    await h.server('cs1', ['1'], { usedBytes: 10 });
    await h.server('cs2', ['1'], { usedBytes: 50 });
    await h.server('cs3', ['1'], { usedBytes: 30 });
    h.node.repair.tick();
    expect(holders(h, '1')).toEqual(['cs1', 'cs3']);
    expect(h.node.registry.takeDeletes('cs2')).toEqual(['1']);
    expect(h.node.repair.trimmer.trimmed).toBe(1);
    expect(h.clones).toHaveLength(0);
    // Another tick finds nothing more to trim.
    h.node.repair.requestScan();
    h.node.repair.tick();
    expect(h.node.repair.trimmer.trimmed).toBe(1);
  });

  it('a full report sent before the deletion reached the server does not bring the replica back', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] }, 2);
    await h.server('cs1', ['1']);
    await h.server('cs2', ['1'], { usedBytes: 50 });
    await h.server('cs3', ['1']);
    h.node.repair.tick();
    await h.node.processReport('cs2', [{ handle: '1', version: 1, size: CHUNK }]);
    expect(holders(h, '1')).toEqual(['cs1', 'cs3']);
    expect(h.node.registry.takeDeletes('cs2')).toEqual(['1']);
  });

  it('never trims a leased chunk, and trims it once the lease is over', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] }, 2);
    for (const id of ['cs1', 'cs2', 'cs3']) await h.server(id, ['1']);
    await h.node.leases.lease('/a', 0);
    h.node.repair.tick();
    expect(holders(h, '1')).toEqual(['cs1', 'cs2', 'cs3']);
    h.advance(60_001);
    h.heartbeat('cs1', 'cs2', 'cs3');
    h.node.repair.tick();
    expect(holders(h, '1')).toHaveLength(2);
  });

  it('never trims a chunk being cloned', async () => {
    const h = await harness({}, { bytesPerSecond: 1e12, thresholdPercent: 10 });
    await h.files({ '/a': ['1'] }, 2);
    await h.server('cs1', ['1'], { capacityBytes: 100 * CHUNK, usedBytes: 80 * CHUNK });
    await h.server('cs2', ['1'], { capacityBytes: 100 * CHUNK, usedBytes: 80 * CHUNK });
    await h.server('new', [], { capacityBytes: 100 * CHUNK, usedBytes: 0 });
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    // A third replica turns up while the move runs (reports leave a held chunk alone, so it is
    // added by hand): the chunk is above its goal, but held.
    await h.server('cs3', []);
    h.node.registry.addLocation('1', 'cs3');
    h.node.repair.requestScan();
    h.node.repair.tick();
    expect(holders(h, '1')).toEqual(['cs1', 'cs2', 'cs3']);
    expect(h.node.repair.trimmer.trimmed).toBe(0);
  });

  it('counts only live replicas: a dead holder does not put a chunk above its goal', async () => {
    const h = await harness();
    await h.files({ '/a': ['1'] }, 2);
    for (const id of ['cs1', 'cs2', 'cs3']) await h.server(id, ['1']);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2');
    h.node.repair.tick();
    expect(h.node.repair.trimmer.trimmed).toBe(0);
    expect(h.node.registry.takeDeletes('cs3')).toEqual([]);
  });
});

/** Three servers 60% full holding chunks 1..6 twice over, and an empty fourth: cs4 is under-full. */
async function unbalanced(h: Harness): Promise<void> {
  await h.files({ '/a': ['1', '2', '3', '4', '5', '6'] }, 2);
  const full = { capacityBytes: 10 * CHUNK, usedBytes: 6 * CHUNK };
  await h.server('cs1', ['1', '2', '3', '4'], full);
  await h.server('cs2', ['3', '4', '5', '6'], full);
  await h.server('cs3', ['1', '2', '5', '6'], { ...full, usedBytes: 7 * CHUNK });
  await h.server('cs4', [], { capacityBytes: 10 * CHUNK, usedBytes: 0 });
}

describe('rebalancing moves', () => {
  it('clones a replica from the fullest server to the emptiest and deletes the source copy once added', async () => {
    const h = await harness({}, { bytesPerSecond: 1e12, thresholdPercent: 10 });
    await unbalanced(h);
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    const [call] = h.clones;
    expect(call?.target).toBe('cs4:1');
    expect(call?.body.source).toBe('cs3:1');
    const handle = call?.body.handle as string;
    expect(h.node.repair.rebalancer.status(0)).toMatchObject({ inFlight: 1, done: 0, underFull: 1 });
    // Until the copy is done, the source keeps its replica and the target is no location.
    expect(holders(h, handle)).not.toContain('cs4');
    call?.finish();
    await h.node.repair.settled();
    expect(holders(h, handle)).toContain('cs4');
    expect(holders(h, handle)).not.toContain('cs3');
    expect(h.node.registry.takeDeletes('cs3')).toEqual([handle]);
    expect(h.node.repair.rebalancer.status(0)).toMatchObject({ inFlight: 0, done: 1, failed: 0, bytesMoved: CHUNK });
    expect(h.node.repair.cloneLog()).toEqual([
      expect.objectContaining({ purpose: 'rebalance', result: 'done', replicasBefore: 2, replication: 2 }),
    ]);
    // Re-replication's own counts are untouched.
    expect(h.node.repair.status()).toMatchObject({ inFlight: 0, done: 0, failed: 0 });
  });

  it('starts nothing while re-replication has a clone running or a chunk waiting', async () => {
    const h = await harness({ clonesPerServerMax: 1 }, { bytesPerSecond: 1e12, thresholdPercent: 10 });
    await unbalanced(h);
    // Chunk 9 lost a replica (its other holder is gone): repair clones it to cs4 first; cs3 → cs5
    // could move meanwhile, but waits.
    await h.files({ '/b': ['9'] }, 2);
    await h.server('gone', ['9']);
    await h.server('cs5', [], { capacityBytes: 10 * CHUNK, usedBytes: 0 });
    await h.node.processReport('cs1', [
      ...['1', '2', '3', '4', '9'].map((handle) => ({ handle, version: 1, size: CHUNK })),
    ]);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs3', 'cs4', 'cs5');
    h.node.repair.tick();
    expect(h.clones.map((call) => `${call.body.handle}->${call.target}`)).toEqual(['9->cs4:1']);
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    await h.drain();
    expect(h.node.repair.cloneLog().map((clone) => clone.purpose)).toEqual(['repair', 'rebalance', 'rebalance']);
  });

  it("spaces each server's moves by its rate and waits for two heartbeats after each", async () => {
    // One chunk per second: after a move, each of its servers waits a second.
    const h = await harness({}, { bytesPerSecond: CHUNK, thresholdPercent: 5 });
    await unbalanced(h);
    h.node.repair.tick();
    h.clones[0]?.finish();
    await h.node.repair.settled();
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    // The rate allows the next move; the heartbeats have not come yet.
    h.advance(1_000);
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    h.heartbeat('cs1', 'cs2', 'cs3', 'cs4');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(1);
    h.advance(200);
    h.heartbeat('cs1', 'cs2', 'cs3', 'cs4');
    h.node.repair.tick();
    expect(h.clones).toHaveLength(2);
    expect(h.clones[1]?.target).toBe('cs4:1');
  });

  it('keeps the source replica when another holder died during the move', async () => {
    const h = await harness({}, { bytesPerSecond: 1e12, thresholdPercent: 10 });
    await unbalanced(h);
    h.node.repair.tick();
    const [call] = h.clones;
    const handle = call?.body.handle as string;
    const other = holders(h, handle).find((id) => id !== 'cs3') as string;
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat(...['cs1', 'cs2', 'cs3', 'cs4'].filter((id) => id !== other));
    call?.finish();
    await h.node.repair.settled();
    expect(holders(h, handle)).toEqual([other, 'cs3', 'cs4'].sort());
    expect(h.node.registry.takeDeletes('cs3')).toEqual([]);
  });

  it('is off at rate 0', async () => {
    const h = await harness({}, { bytesPerSecond: 0 });
    await unbalanced(h);
    h.node.repair.tick();
    expect(h.clones).toHaveLength(0);
    expect(h.node.repair.rebalancer.status(0)).toMatchObject({ bytesPerSecond: 0, underFull: 1 });
  });
});
