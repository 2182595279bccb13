// Replica health on real processes (issue 5): chunkservers SIGKILLed under data, the master
// declares them dead, re-replication clones the missing replicas from the survivors, `gfs fsck`
// returns to exit 0 on its own, and every file reads back identical. Waits poll with deadlines.

import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import type { CloneRecord } from '../../shared/protocol/health.js';
import { TestCluster } from '../harness/cluster.js';
import { addressOf, chunksOf, expectIdentical, fsck, waitHealthy, writeFiles } from '../harness/replica-checks.js';

const MiB = 1024 * 1024;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

async function start(chunkservers: number): Promise<{ cluster: TestCluster; client: GfsClient }> {
  cluster = await TestCluster.start({
    chunkservers,
    chunkSize: '1MiB',
    replication: 3,
    lease: '3s',
    deadAfter: '1500ms',
    heartbeat: '200ms',
  });
  client = new GfsClient({ master: cluster.masterUrl });
  return { cluster, client };
}

describe('re-replication', () => {
  it('kill 1 of 4 chunkservers: fsck returns to exit 0 on its own and every file reads back identical', async () => {
    const { cluster, client } = await start(4);
    const digests = await writeFiles(client, [3 * MiB + 17, 2 * MiB, 5 * MiB + 1, 700 * 1024]);
    expect((await fsck(cluster)).code).toBe(0);

    const victim = cluster.chunkservers[1];
    if (!victim) throw new Error('no chunkserver');
    const before = await chunksOf(client, digests.keys());
    const lostReplicas = [...before.values()].filter((chunk) => chunk.replicas.includes(addressOf(victim.port)));
    expect(lostReplicas.length).toBeGreaterThan(0);
    await cluster.kill(victim);
    await cluster.waitAlive(3);

    const healed = await waitHealthy(cluster);
    expect(healed).toMatchObject({ healthy: true, underReplicated: [], lost: [], corrupt: [] });
    // Every chunk has its 3 replicas again, none on the dead server.
    const after = await chunksOf(client, digests.keys());
    for (const chunk of after.values()) {
      expect(chunk.replicas).toHaveLength(3);
      expect(chunk.replicas).not.toContain(addressOf(victim.port));
    }
    // Every replica the dead server held was cloned anew.
    const cloned = new Set((await client.cloneLog()).filter((c) => c.result === 'done').map((c) => c.handle));
    for (const chunk of lostReplicas) expect(cloned.has(chunk.handle), chunk.handle).toBe(true);
    await expectIdentical(cluster, digests);

    const status = await cluster.gfs(['status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout.toString()).toMatch(/^repair: 0 clones in flight, \d+ done, 0 chunks waiting, 0 lost/m);
    expect(status.stdout.toString()).toContain('chunkservers: 3 alive of 4');
  });

  it('kill 2 of 4 chunkservers holding data: chunks left with one replica are repaired first', async () => {
    const { cluster, client } = await start(4);
    const digests = await writeFiles(client, [6 * MiB + 5, 4 * MiB, 5 * MiB + 333, 3 * MiB, 2 * MiB + 1]);
    // Two empty chunkservers join, so every chunk can get its three replicas back and the order
    // matters: otherwise only the one-replica chunks could be cloned at all.
    await cluster.addChunkserver();
    await cluster.addChunkserver();
    await cluster.waitAlive(6);

    const [first, second] = cluster.chunkservers;
    if (!first || !second) throw new Error('no chunkservers');
    const victims = [addressOf(first.port), addressOf(second.port)];
    const before = await chunksOf(client, digests.keys());
    const oneLeft = new Set(
      [...before.values()]
        .filter((chunk) => victims.every((address) => chunk.replicas.includes(address)))
        .map((chunk) => chunk.handle),
    );
    const twoLeft = [...before.values()].filter(
      (chunk) => chunk.replicas.filter((address) => victims.includes(address)).length === 1,
    );
    // Not vacuous: both kinds are there to be ordered.
    expect(oneLeft.size).toBeGreaterThan(2);
    expect(twoLeft.length).toBeGreaterThan(2);

    await Promise.all([cluster.kill(first), cluster.kill(second)]);
    await cluster.waitAlive(4);
    await waitHealthy(cluster);

    const clones: CloneRecord[] = await client.cloneLog();
    expect(
      clones.every((clone) => clone.result === 'done'),
      JSON.stringify(clones),
    ).toBe(true);
    const order = clones.map((clone) => clone.replicasBefore);
    // Every first clone of a one-replica chunk started before any clone of a chunk with two.
    const lastOne = order.lastIndexOf(1);
    const firstTwo = order.indexOf(2);
    expect(lastOne, `replicas before each clone, in start order: ${order.join(',')}`).toBeLessThan(firstTwo);
    expect(new Set(clones.filter((clone) => clone.replicasBefore === 1).map((clone) => clone.handle))).toEqual(oneLeft);
    // Two clones for each chunk left with one replica, one for each left with two.
    expect(clones).toHaveLength(2 * oneLeft.size + twoLeft.length);
    await expectIdentical(cluster, digests);
  });
});

describe('gfs fsck', () => {
  it('exits 1 and lists the chunks while the cluster is short of servers, 0 once a server joins', async () => {
    const { cluster, client } = await start(3);
    const digests = await writeFiles(client, [2 * MiB + 1]);
    const victim = cluster.chunkservers[2];
    if (!victim) throw new Error('no chunkserver');
    await cluster.kill(victim);
    await cluster.waitAlive(2);

    // Two live servers cannot hold three replicas: under-replicated, nothing can repair it yet.
    const unhealthy = await cluster.gfs(['fsck']);
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.stderr.trim()).toMatch(/^gfs: cluster is not healthy \(3 under-replicated, 0 lost, 0 corrupt\): /);
    expect(unhealthy.stderr.trim().split('\n')).toHaveLength(1);
    const lines = unhealthy.stdout.toString().trim().split('\n');
    expect(lines.filter((line) => line.startsWith('under-replicated: /data/f0 chunk '))).toHaveLength(3);
    expect(lines.at(-1)).toBe('3 chunks checked: 3 under-replicated, 0 lost, 0 corrupt');
    const { code, report } = await fsck(cluster);
    expect(code).toBe(1);
    expect(Object.keys(report).sort()).toEqual(['corrupt', 'healthy', 'lost', 'underReplicated']);
    expect(report.healthy).toBe(false);
    expect(report.underReplicated.map((chunk) => chunk.replicas.length)).toEqual([2, 2, 2]);

    await cluster.addChunkserver();
    await waitHealthy(cluster);
    const healthy = await cluster.gfs(['fsck']);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout.toString()).toBe('3 chunks checked: healthy\n');
    await expectIdentical(cluster, digests);
  });
});
