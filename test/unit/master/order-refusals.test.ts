// A master and a chunkserver that do not share a secret (here the master runs with --insecure and
// signs nothing, the chunkserver has a secret and checks): the chunkserver refuses every order,
// and the master says so once, as an error naming the chunkserver and the fix, however many
// orders fail.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { type RunningChunkserver, startChunkserver } from '../../../chunkserver/main.js';
import { type RunningMaster, startMaster } from '../../../master/main.js';
import { RpcClient } from '../../../shared/http/client.js';
import { silentLogger } from '../../../shared/log.js';
import { leaseRoute } from '../../../shared/protocol/chunks.js';
import { statusRoute } from '../../../shared/protocol/heartbeat.js';
import { createRoute } from '../../../shared/protocol/namespace.js';
import { ensureSecretFile } from '../../../shared/security/cluster-secret.js';
import { waitFor } from '../../harness/wait.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function capturingLogger(): { logger: pino.Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

it('logs a chunkserver refusing its orders once, with the reason and the fix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gfs-refusals-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const { logger, lines } = capturingLogger();
  const master: RunningMaster = await startMaster({
    host: '127.0.0.1',
    port: 0,
    dataDir: join(dir, 'master'),
    chunkSizeBytes: 1024 * 1024,
    replication: 1,
    leaseMs: 60_000,
    deadAfterMs: 10_000,
    trashRetentionMs: 0,
    startupWaitMs: 0,
    insecure: true,
    logger,
  });
  cleanups.push(() => master.close());
  const chunkserver: RunningChunkserver = await startChunkserver({
    masterUrl: `http://${master.address}`,
    host: '127.0.0.1',
    port: 0,
    dataDir: join(dir, 'cs'),
    rack: '',
    heartbeatMs: 100,
    secretFile: (await ensureSecretFile(dir)).path,
    logger: silentLogger(),
  });
  cleanups.push(() => chunkserver.close());
  const rpc = new RpcClient({ timeoutMs: 10_000 });
  cleanups.push(() => rpc.close());
  // An insecure master checks nothing, so the chunkserver registers; its orders are what fail.
  await waitFor('registration', async () =>
    (await rpc.call(master.address, statusRoute, {})).chunkservers.length === 1 ? true : undefined,
  );

  for (const path of ['/a', '/b', '/c']) {
    await rpc.call(master.address, createRoute, { path, overwrite: false });
    await expect(rpc.call(master.address, leaseRoute, { path, index: 0 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  }
  const refusals = lines.filter((line) => line.msg.includes("refused the master's order"));
  expect(refusals).toHaveLength(1);
  expect(refusals[0]?.level).toBe(50);
  expect(refusals[0]?.msg).toBe(
    `chunkserver ${chunkserver.address} refused the master's order: peer request refused: not signed with the cluster secret; this master runs with --insecure: run every server of the cluster with --insecure, or none (logged once per chunkserver)`,
  );
});
