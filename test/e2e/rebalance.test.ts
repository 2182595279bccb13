// Rebalancing and trimming on real processes (issue 5, item 3): an empty chunkserver joins a full
// cluster and takes a fair share of the replicas while clients read, every chunk ends at exactly
// its goal (on the master and on the disks); a chunkserver killed and brought back after its
// chunks were re-replicated has the extra replicas trimmed. Waits poll with deadlines.

import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import type { ClusterStatus } from '../../shared/protocol/heartbeat.js';
import { adminHeaders } from '../harness/admin-rpc.js';
import { sha256 } from '../harness/bytes.js';
import { type ClusterOptions, TestCluster } from '../harness/cluster.js';
import {
  addressOf,
  chunksOf,
  expectIdentical,
  REPAIR_DEADLINE_MS,
  replicasOnDisk,
  waitHealthy,
  writeFiles,
} from '../harness/replica-checks.js';
import { waitFor } from '../harness/wait.js';

const MiB = 1024 * 1024;
const SIZES = [5 * MiB + 17, 4 * MiB, 6 * MiB + 1, 3 * MiB, 700 * 1024, 2 * MiB + 5];
/** Each test waits on several deadlines in turn; on a loaded machine they add up past vitest's 120 s. */
const TEST_TIMEOUT_MS = 240_000;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

async function start(options: ClusterOptions): Promise<{ cluster: TestCluster; client: GfsClient }> {
  cluster = await TestCluster.start({ chunkSize: '1MiB', lease: '3s', deadAfter: '1500ms', ...options });
  client = new GfsClient({ master: cluster.masterUrl });
  return { cluster, client };
}

async function status(cluster: TestCluster): Promise<ClusterStatus> {
  const response = await fetch(`${cluster.masterUrl}/status`, { headers: adminHeaders() });
  return (await response.json()) as ClusterStatus;
}

/** How many replica files of each chunk the chunkservers hold on disk. */
async function copiesOnDisk(cluster: TestCluster): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (const node of cluster.chunkservers) {
    for (const handle of await replicasOnDisk(node.dataDir)) copies.set(handle, (copies.get(handle) ?? 0) + 1);
  }
  return copies;
}

/** Every chunk of the files at exactly `goal` replicas, as the master hands them out and on disk. */
async function waitExactlyAtGoal(cluster: TestCluster, client: GfsClient, paths: Iterable<string>, goal: number) {
  const handles = [...(await chunksOf(client, paths)).keys()];
  await waitFor(
    `every chunk at exactly ${goal} replicas, on the master and on disk`,
    async () => {
      const chunks = await chunksOf(client, paths);
      if ([...chunks.values()].some((chunk) => chunk.replicas.length !== goal)) return undefined;
      const copies = await copiesOnDisk(cluster);
      return handles.every((handle) => copies.get(handle) === goal) && copies.size === handles.length;
    },
    REPAIR_DEADLINE_MS,
    250,
  );
}

/** Reads every file again and again until stopped; throws on the first wrong byte. */
function readContinuously(masterUrl: string, digests: Map<string, string>): { stop(): Promise<number> } {
  const reader = new GfsClient({ master: masterUrl });
  let stopped = false;
  let rounds = 0;
  const loop = (async () => {
    while (!stopped) {
      for (const [path, digest] of digests) {
        const data = await reader.readFile(path);
        if (sha256(data) !== digest) throw new Error(`read back different bytes: ${path}`);
      }
      rounds++;
    }
  })();
  // Awaited in stop(); until then a failure must not count as unhandled.
  loop.catch(() => undefined);
  return {
    async stop() {
      stopped = true;
      try {
        await loop;
      } finally {
        await reader.close();
      }
      return rounds;
    },
  };
}

/** Waits until no move runs, no server is beyond the threshold, and the newcomer holds replicas. */
async function waitForBalance(cluster: TestCluster, newcomerPort: number): Promise<ClusterStatus> {
  return waitFor(
    'the new chunkserver to fill up and the cluster to be balanced',
    async () => {
      const now = await status(cluster);
      const newcomer = now.chunkservers.find((server) => server.address === addressOf(newcomerPort));
      const rebalance = now.repair.rebalance;
      if (newcomer === undefined || rebalance === undefined) return undefined;
      const settled = rebalance.inFlight === 0 && rebalance.overFull + rebalance.underFull === 0;
      return settled && newcomer.chunks > 0 ? now : undefined;
    },
    REPAIR_DEADLINE_MS,
    250,
  );
}

describe('rebalancing', { timeout: TEST_TIMEOUT_MS }, () => {
  it('an empty chunkserver joins and takes a fair share of the replicas; every chunk ends at its goal', async () => {
    // 48 MiB per chunkserver: the 24 chunks twice over fill three of them to a third. 3 points of
    // 48 MiB is 1.4 chunks; 64 MiB/s per server moves a 1 MiB chunk every ~16 ms at most.
    const { cluster, client } = await start({
      chunkservers: 3,
      replication: 2,
      chunkserverArgs: ['--capacity', '48MiB'],
      masterArgs: ['--rebalance-rate', '64MiB', '--rebalance-threshold', '3'],
    });
    const digests = await writeFiles(client, SIZES);
    await waitHealthy(cluster);
    const chunks = await chunksOf(client, digests.keys());
    const replicas = chunks.size * 2;
    expect(chunks.size).toBe(24);

    const reading = readContinuously(cluster.masterUrl, digests);
    let balanced: ClusterStatus;
    let joined: Awaited<ReturnType<TestCluster['addChunkserver']>>;
    try {
      joined = await cluster.addChunkserver();
      balanced = await waitForBalance(cluster, joined.port);
    } finally {
      expect(await reading.stop(), 'reads went on while replicas moved').toBeGreaterThan(0);
    }

    // A fair share: every server's disk use within 3 points of the mean, the newcomer's included
    // (and it holds at least half of a quarter of the replicas).
    const use = (server: ClusterStatus['chunkservers'][number]) => server.bytesUsed / server.capacityBytes;
    const servers = balanced.chunkservers;
    const total = (field: 'bytesUsed' | 'capacityBytes') => servers.reduce((sum, server) => sum + server[field], 0);
    const mean = total('bytesUsed') / total('capacityBytes');
    for (const server of servers) expect(Math.abs(use(server) - mean), server.id).toBeLessThanOrEqual(0.03);
    const newcomer = servers.find((server) => server.address === addressOf(joined.port));
    expect(newcomer?.chunks).toBeGreaterThanOrEqual(replicas / 4 / 2);
    const moves = balanced.repair.rebalance;
    expect(moves?.done).toBeGreaterThanOrEqual(newcomer?.chunks ?? Number.POSITIVE_INFINITY);
    expect(moves?.bytesMoved).toBeGreaterThan(0);
    expect(balanced.repair.done, 'no re-replication was needed').toBe(0);

    // No chunk is left above (or below) its goal: the moved-away replicas are gone from the disks.
    await waitExactlyAtGoal(cluster, client, digests.keys(), 2);
    expect((await waitHealthy(cluster)).healthy).toBe(true);
    await expectIdentical(cluster, digests);

    const text = (await cluster.gfs(['status'])).stdout.toString();
    expect(text).toMatch(/^rebalance: 0 moves in flight, \d+ done, [\d.]+ MiB moved, 0 servers beyond 3 points/m);
    const metrics = await (await fetch(`${cluster.masterUrl}/metrics`)).text();
    expect(metrics).toContain(`gfs_master_rebalance_moves_done_total ${moves?.done}`);
  });
});

describe('trimming', { timeout: TEST_TIMEOUT_MS }, () => {
  it('a killed chunkserver back after re-replication has its extra replicas trimmed', async () => {
    const { cluster, client } = await start({
      chunkservers: 4,
      replication: 3,
      // Rebalancing off: every replica that goes is a trim.
      masterArgs: ['--rebalance-rate', '0'],
    });
    const digests = await writeFiles(client, SIZES.slice(0, 4));
    await waitHealthy(cluster);
    const victim = cluster.chunkservers[1];
    if (!victim) throw new Error('no chunkserver');
    const victimChunks = await replicasOnDisk(victim.dataDir);
    expect(victimChunks.length).toBeGreaterThan(0);

    await cluster.kill(victim);
    await cluster.waitAlive(3);
    await waitHealthy(cluster);
    const cloned = (await client.cloneLog()).filter((clone) => clone.result === 'done');
    expect(cloned.map((clone) => clone.handle).sort()).toEqual(victimChunks);

    // Back with its old data: each of its chunks has four current replicas until one is trimmed.
    await cluster.restart(victim);
    await cluster.waitAlive(4);
    const total = await waitFor(
      'the extra replicas to be trimmed',
      async () => {
        const now = await status(cluster);
        return (now.repair.trimmed ?? 0) >= victimChunks.length ? now.repair.trimmed : undefined;
      },
      REPAIR_DEADLINE_MS,
      250,
    );
    expect(total).toBe(victimChunks.length);
    await waitExactlyAtGoal(cluster, client, digests.keys(), 3);
    const afterwards = await copiesOnDisk(cluster);
    for (const handle of victimChunks) expect(afterwards.get(handle), handle).toBe(3);
    expect((await waitHealthy(cluster)).healthy).toBe(true);
    await expectIdentical(cluster, digests);

    const text = (await cluster.gfs(['status'])).stdout.toString();
    expect(text).toContain(`over-goal replicas trimmed: ${victimChunks.length}`);
    expect(text).toMatch(/^rebalance: off$/m);
    const metrics = await (await fetch(`${cluster.masterUrl}/metrics`)).text();
    expect(metrics).toContain(`gfs_master_replicas_trimmed_total ${victimChunks.length}`);
  });
});
