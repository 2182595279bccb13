// The master's event feed (GET /events) driven through a MasterNode with an injected clock: lease
// grants, chunkservers coming up and dying, clones starting and ending, and the ring's bound.

import { afterEach, describe, expect, it } from 'vitest';
import { EventRing } from '../../../master/events/event-ring.js';
import { cleanUpHarnesses, DEAD_AFTER_MS, harness } from './repair-harness.js';

afterEach(cleanUpHarnesses);

describe('master events', () => {
  it('records servers up, a lease grant, a death once, and a clone from start to end', async () => {
    const h = await harness();
    // Chunk 2 is the one leased (a chunk under a lease is not cloned); chunk 1 loses cs3.
    await h.files({ '/a': ['1'], '/b': ['2'] });
    await h.server('cs1', ['1', '2']);
    await h.server('cs2', ['1', '2']);
    await h.server('cs3', ['1']);
    await h.server('cs4', ['2']);
    h.node.watchLiveness();
    await h.node.leases.lease('/b', 0);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2', 'cs4');
    h.node.watchLiveness();
    h.node.watchLiveness();
    h.node.repair.tick();
    h.clones[0]?.finish();
    await h.node.repair.settled();

    const events = h.node.events.list();
    expect(events.map((event) => `${event.kind} ${event.subject}`)).toEqual([
      'chunkserver-up cs1',
      'chunkserver-up cs2',
      'chunkserver-up cs3',
      'chunkserver-up cs4',
      'lease-granted 2',
      'chunkserver-dead cs3',
      'clone-started 1',
      'clone-ended 1',
    ]);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events[4]?.detail).toMatch(/^primary=cs[124] version=2 replicas=3$/);
    expect(events[5]?.detail).toBe(`address=cs3:1 silentMs=${DEAD_AFTER_MS + 1}`);
    expect(events[6]?.detail).toMatch(/^version=1 replicas=2\/3 source=cs[12]:1 target=cs4:1 purpose=repair$/);
    expect(events[7]?.detail).toMatch(/^result=done tookMs=0 source=cs[12]:1 target=cs4:1 purpose=repair$/);
  });

  it('keeps only the most recent events, numbered from the start', () => {
    let now = 0;
    const ring = new EventRing(() => now++, 3);
    for (let i = 1; i <= 5; i++) ring.add('lease-granted', String(i), '');
    expect(ring.list().map((event) => [event.seq, event.subject, event.atMs])).toEqual([
      [3, '3', 2],
      [4, '4', 3],
      [5, '5', 4],
    ]);
  });
});
