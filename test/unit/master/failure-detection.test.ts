// Failure detection over HTTP with a short --dead-after: a silent chunkserver is declared dead,
// its replicas stop counting, and when it speaks again it must register with a full report, in
// which only replicas at the current version are trusted (the stale one is deleted).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { type RunningMaster, startMaster } from '../../../master/main.js';
import { createRpcServer, listen, serveRoute } from '../../../shared/http/server.js';
import { silentLogger } from '../../../shared/log.js';
import { leaseRoute, locateRoute } from '../../../shared/protocol/chunks.js';
import { grantRoute } from '../../../shared/protocol/data.js';
import { fsckRoute } from '../../../shared/protocol/health.js';
import { heartbeatRoute, registerRoute, statusRoute } from '../../../shared/protocol/heartbeat.js';
import { createRoute } from '../../../shared/protocol/namespace.js';
import { AdminRpcClient } from '../../harness/admin-rpc.js';
import { clusterKeysOf } from '../../harness/peer-keys.js';
import { waitFor } from '../../harness/wait.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakeChunkserver(): Promise<string> {
  const app: FastifyInstance = createRpcServer(silentLogger());
  serveRoute(app, grantRoute, async () => ({}));
  const address = await listen(app, '127.0.0.1', 0);
  cleanups.push(() => app.close());
  return address;
}

it('a server silent past --dead-after is dead; back, it re-registers and its stale replica is deleted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gfs-dead-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const master: RunningMaster = await startMaster({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    chunkSizeBytes: 1024 * 1024,
    replication: 2,
    leaseMs: 60_000,
    // Long enough that both servers are alive through the first lease on a loaded machine.
    deadAfterMs: 1_500,
    trashRetentionMs: 0,
    startupWaitMs: 0,
    logger: silentLogger(),
  });
  cleanups.push(() => master.close());
  // Signs as a chunkserver of the cluster does, and carries the tests' superuser token.
  const rpc = new AdminRpcClient({ peerKey: (await clusterKeysOf(dir)).peerRequest });
  cleanups.push(() => rpc.close());
  const addresses = { cs1: await fakeChunkserver(), cs2: await fakeChunkserver() };
  const register = (id: 'cs1' | 'cs2', chunks: { handle: string; version: number; size: number }[] = []) =>
    rpc.call(master.address, registerRoute, {
      id,
      address: addresses[id],
      rack: '',
      capacityBytes: 1e9,
      usedBytes: 0,
      chunks,
    });
  const heartbeat = (id: string) =>
    rpc.call(master.address, heartbeatRoute, { id, capacityBytes: 1e9, usedBytes: 0, extendLeases: [] });
  await register('cs1');
  await register('cs2');
  await rpc.call(master.address, createRoute, { path: '/f', overwrite: false });
  const first = await rpc.call(master.address, leaseRoute, { path: '/f', index: 0 });
  expect([first.primary, ...first.secondaries].sort()).toEqual([addresses.cs1, addresses.cs2].sort());

  // cs2 falls silent; cs1 keeps beating until the master declares cs2 dead.
  await waitFor('cs2 declared dead', async () => {
    await heartbeat('cs1');
    const status = await rpc.call(master.address, statusRoute, {});
    return status.chunkservers.find((cs) => cs.id === 'cs2')?.alive === false ? true : undefined;
  });
  const located = await rpc.call(master.address, locateRoute, { path: '/f', index: 0, count: 1 });
  expect(located.chunks[0]?.replicas).toEqual([addresses.cs1]);
  const fsck = await rpc.call(master.address, fsckRoute, {});
  expect(fsck.counts).toEqual({ underReplicated: 1, lost: 0, corrupt: 0 });

  // A write meanwhile bumps the version on the live replica only.
  const second = await rpc.call(master.address, leaseRoute, { path: '/f', index: 0 });
  expect(second.version).toBe(first.version + 1);
  expect(second.secondaries).toEqual([]);

  // cs2 is back: its heartbeat is refused until it registers again with a full report.
  await expect(heartbeat('cs2')).rejects.toMatchObject({ code: 'UNKNOWN_CHUNKSERVER' });
  const again = await register('cs2', [{ handle: first.handle, version: first.version, size: 0 }]);
  expect(again.deleteHandles).toEqual([first.handle]);
  await heartbeat('cs1');
  const after = await rpc.call(master.address, locateRoute, { path: '/f', index: 0, count: 1 });
  expect(after.chunks[0]?.replicas).toEqual([addresses.cs1]);
});
