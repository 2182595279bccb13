// The master over HTTP: every route of the protocol, with a fake chunkserver answering grants.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMaster, startMaster } from '../../../master/main.js';
import { PeerVerifier, requirePeerSignatures } from '../../../shared/http/peer-auth.js';
import { createRpcServer, listen, serveRoute } from '../../../shared/http/server.js';
import { silentLogger } from '../../../shared/log.js';
import { fileChunksRoute, leaseRoute, locateRoute } from '../../../shared/protocol/chunks.js';
import { grantRoute } from '../../../shared/protocol/data.js';
import { fsckRoute } from '../../../shared/protocol/health.js';
import { corruptRoute, heartbeatRoute, registerRoute, statusRoute } from '../../../shared/protocol/heartbeat.js';
import {
  createRoute,
  deleteRoute,
  extendRoute,
  listRoute,
  lookupRoute,
  mkdirRoute,
  renameRoute,
  statRoute,
} from '../../../shared/protocol/namespace.js';
import { AdminRpcClient } from '../../harness/admin-rpc.js';
import { clusterKeysOf } from '../../harness/peer-keys.js';

const CHUNK = 1024 * 1024;
let dir: string;
let master: RunningMaster;
let fakeChunkserver: FastifyInstance;
let csAddress: string;
const granted: unknown[] = [];
/** Signs as a chunkserver of the cluster does, and carries the tests' superuser token. */
let rpc: AdminRpcClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gfs-master-http-'));
  const keys = await clusterKeysOf(dir);
  rpc = new AdminRpcClient({ peerKey: keys.peerRequest });
  fakeChunkserver = createRpcServer(silentLogger());
  // The fake checks the master's grants as a real chunkserver does.
  requirePeerSignatures(fakeChunkserver, new PeerVerifier(keys.peerRequest, silentLogger()), [grantRoute]);
  serveRoute(fakeChunkserver, grantRoute, async (body) => {
    granted.push(body);
    return {};
  });
  csAddress = await listen(fakeChunkserver, '127.0.0.1', 0);
  master = await startMaster({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    chunkSizeBytes: CHUNK,
    replication: 3,
    leaseMs: 60_000,
    deadAfterMs: 10_000,
    trashRetentionMs: 0,
    startupWaitMs: 1_000,
    logger: silentLogger(),
  });
});

afterAll(async () => {
  await master.close();
  await fakeChunkserver.close();
  await rpc?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('master over HTTP', () => {
  it('serves the namespace', async () => {
    await rpc.call(master.address, mkdirRoute, { path: '/a//b/', recursive: true });
    const created = await rpc.call(master.address, createRoute, { path: '/a/b/f', overwrite: false, replication: 2 });
    expect(created).toMatchObject({ name: 'f', path: '/a/b/f', type: 'file', size: 0, replication: 2, mode: 0o644 });
    await expect(rpc.call(master.address, createRoute, { path: '/a/b/f', overwrite: false })).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
      subject: '/a/b/f',
    });
    await expect(rpc.call(master.address, statRoute, { path: '/a/../b' })).rejects.toMatchObject({
      code: 'INVALID_PATH',
    });
    const stat = await rpc.call(master.address, statRoute, { path: '/a/b' });
    expect(stat).toMatchObject({ type: 'dir', name: 'b', size: 0, chunks: 0 });
    // A lookup answers a missing path (or the hidden trash) with null, an existing one as stat does.
    expect(await rpc.call(master.address, lookupRoute, { path: '/a/b/missing' })).toEqual({ entry: null });
    expect(await rpc.call(master.address, lookupRoute, { path: '/.gfs-trash' })).toEqual({ entry: null });
    expect(await rpc.call(master.address, lookupRoute, { path: '/a/b/' })).toEqual({ entry: stat });
    expect(stat.mtime).toBe(new Date(stat.mtimeMs).toISOString());
    await rpc.call(master.address, renameRoute, { from: '/a/b', to: '/c' });
    const list = await rpc.call(master.address, listRoute, { path: '/' });
    expect(list.entries.map((entry) => [entry.name, entry.type])).toEqual([
      ['a', 'dir'],
      ['c', 'dir'],
    ]);
    expect((await rpc.call(master.address, listRoute, { path: '/c' })).entries.map((e) => e.path)).toEqual(['/c/f']);
    await expect(rpc.call(master.address, listRoute, { path: '/c/f' })).rejects.toMatchObject({
      code: 'NOT_A_DIRECTORY',
    });
    await expect(rpc.call(master.address, deleteRoute, { path: '/c', recursive: false })).rejects.toMatchObject({
      code: 'NOT_EMPTY',
    });
    await expect(rpc.call(master.address, extendRoute, { path: '/c/f', length: 10 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await rpc.call(master.address, deleteRoute, { path: '/c', recursive: true });
    await expect(rpc.call(master.address, statRoute, { path: '/c/f' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('registers chunkservers, grants leases through them and reports status', async () => {
    await expect(
      rpc.call(master.address, heartbeatRoute, { id: 'cs1', capacityBytes: 1, usedBytes: 0, extendLeases: [] }),
    ).rejects.toMatchObject({ code: 'UNKNOWN_CHUNKSERVER' });
    const registered = await rpc.call(master.address, registerRoute, {
      id: 'cs1',
      address: csAddress,
      rack: '',
      capacityBytes: 1e9,
      usedBytes: 0,
      chunks: [{ handle: '424242', version: 1, size: 0 }],
    });
    expect(registered).toEqual({ chunkSize: CHUNK, deleteHandles: ['424242'] });
    await rpc.call(master.address, createRoute, { path: '/data', overwrite: false });
    const lease = await rpc.call(master.address, leaseRoute, { path: '/data', index: 1 });
    expect(lease).toMatchObject({ version: 1, primary: csAddress, secondaries: [], chunkSize: CHUNK });
    expect(granted).toHaveLength(2);
    expect(await rpc.call(master.address, extendRoute, { path: '/data', length: CHUNK + 5 })).toEqual({
      size: CHUNK + 5,
    });
    const located = await rpc.call(master.address, locateRoute, { path: '/data', index: 0, count: 10 });
    expect(located.size).toBe(CHUNK + 5);
    expect(located.chunks.map((chunk) => [chunk.index, chunk.replicas])).toEqual([
      [0, [csAddress]],
      [1, [csAddress]],
    ]);
    const chunks = await rpc.call(master.address, fileChunksRoute, { path: '/data' });
    expect(chunks.chunks.map((chunk) => chunk.size)).toEqual([CHUNK, 5]);
    const beat = await rpc.call(master.address, heartbeatRoute, {
      id: 'cs1',
      capacityBytes: 1e9,
      usedBytes: 5,
      extendLeases: [lease.handle],
    });
    expect(beat.leases).toEqual([{ handle: lease.handle, version: 1, leaseMs: 60_000 }]);
    const status = await rpc.call(master.address, statusRoute, {});
    expect(status).toMatchObject({ master: master.address, ready: true, files: 1, chunks: 2, underReplicated: 2 });
    expect(status.chunkservers).toEqual([
      expect.objectContaining({ id: 'cs1', address: csAddress, alive: true, chunks: 2, bytesUsed: 5 }),
    ]);
    await rpc.call(master.address, corruptRoute, { id: 'cs1', handle: lease.handle });
    const after = await rpc.call(master.address, heartbeatRoute, {
      id: 'cs1',
      capacityBytes: 1e9,
      usedBytes: 5,
      extendLeases: [],
    });
    // Out of service at once, but kept until a clone replaces it (it is the only replica here).
    expect(after.deleteHandles).toEqual([]);
    const relocated = await rpc.call(master.address, locateRoute, { path: '/data', index: 1, count: 1 });
    expect(relocated.chunks[0]?.replicas).toEqual([]);
    const fsck = await rpc.call(master.address, fsckRoute, {});
    expect(fsck).toMatchObject({ healthy: false, counts: { underReplicated: 1, lost: 1, corrupt: 1 } });
    expect(fsck.corrupt).toEqual([
      expect.objectContaining({ path: '/data', index: 1, handle: lease.handle, replicas: [], corrupt: [csAddress] }),
    ]);
  });

  it('answers /healthz and /metrics', async () => {
    const health = await rpc.request(master.address, { method: 'GET', path: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ ok: true });
    const metrics = await rpc.request(master.address, { method: 'GET', path: '/metrics' });
    const text = await metrics.body.text();
    expect(text).toMatch(/^gfs_master_files 1$/m);
    expect(text).toMatch(/^gfs_master_chunkservers_alive 1$/m);
    expect(text).toMatch(/^gfs_master_log_records_total \d+$/m);
  });
});
