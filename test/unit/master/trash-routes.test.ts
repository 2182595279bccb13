// The trash over HTTP: delete, overwrite and replacing rename send entries to the trash; the trash
// root is hidden from listings and out of reach of every path route; GET /ns/trash lists it and
// POST /ns/restore brings entries back; status, statfs and metrics say what their counts count.
// With --trash-retention 0 deletes are immediate, as before the trash.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningMaster, startMaster } from '../../../master/main.js';
import { TRASH_ROOT } from '../../../master/state/trash.js';
import { silentLogger } from '../../../shared/log.js';
import { fileChunksRoute, leaseRoute, locateRoute } from '../../../shared/protocol/chunks.js';
import { statusRoute } from '../../../shared/protocol/heartbeat.js';
import {
  createRoute,
  deleteRoute,
  listRoute,
  mkdirRoute,
  renameRoute,
  restoreRoute,
  statfsRoute,
  statRoute,
  trashRoute,
  truncateRoute,
} from '../../../shared/protocol/namespace.js';
import { AdminRpcClient } from '../../harness/admin-rpc.js';
import { codeOfAsync } from '../../harness/error-code.js';

const HOUR_MS = 3_600_000;
const rpc = new AdminRpcClient();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function master(trashRetentionMs: number): Promise<RunningMaster> {
  const dir = await mkdtemp(join(tmpdir(), 'gfs-trash-routes-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const running = await startMaster({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    chunkSizeBytes: 1024 * 1024,
    replication: 3,
    leaseMs: 60_000,
    deadAfterMs: 10_000,
    trashRetentionMs,
    startupWaitMs: 0,
    logger: silentLogger(),
  });
  cleanups.push(() => running.close());
  return running;
}

describe('the trash over HTTP', () => {
  it('lists deleted, overwritten and replaced files and restores them; the trash itself stays hidden', async () => {
    const { address } = await master(HOUR_MS);
    await rpc.call(address, mkdirRoute, { path: '/d/e', recursive: true });
    for (const path of ['/d/e/f', '/d/g', '/h', '/k']) await rpc.call(address, createRoute, { path, overwrite: false });
    const before = Date.now();
    await rpc.call(address, deleteRoute, { path: '/d', recursive: true });
    await rpc.call(address, createRoute, { path: '/h', overwrite: true });
    await rpc.call(address, renameRoute, { from: '/k', to: '/h' });

    const { entries } = await rpc.call(address, listRoute, { path: '/' });
    expect(entries.map((entry) => entry.name)).toEqual(['h']);
    const trash = await rpc.call(address, trashRoute, {});
    expect(trash.total).toBe(3);
    expect(trash.entries.map(({ path, type, files }) => [path, type, files])).toEqual([
      ['/d', 'dir', 2],
      ['/h', 'file', 1],
      ['/h', 'file', 1],
    ]);
    for (const entry of trash.entries) {
      expect(entry.deletedAtMs).toBeGreaterThanOrEqual(before);
      expect(entry.deletedAt).toBe(new Date(entry.deletedAtMs).toISOString());
      expect(entry.expiresAtMs).toBe(entry.deletedAtMs + HOUR_MS);
    }
    const status = await rpc.call(address, statusRoute, {});
    expect([status.files, status.trashedFiles]).toEqual([1, 4]);
    expect((await rpc.call(address, statfsRoute, {})).files).toBe(1);
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    expect(metrics).toMatch(/^gfs_master_files 1$/m);
    expect(metrics).toMatch(/^gfs_master_trashed_files 4$/m);
    expect(metrics).toMatch(/^gfs_master_trash_entries 3$/m);

    // Out of reach: reads are NOT_FOUND, creating is INVALID_PATH.
    const inside = `${TRASH_ROOT}/x`;
    for (const call of [
      rpc.call(address, statRoute, { path: TRASH_ROOT }),
      rpc.call(address, listRoute, { path: TRASH_ROOT }),
      rpc.call(address, deleteRoute, { path: TRASH_ROOT, recursive: true }),
      rpc.call(address, locateRoute, { path: inside, index: 0, count: 1 }),
      rpc.call(address, leaseRoute, { path: inside, index: 0 }),
      rpc.call(address, fileChunksRoute, { path: inside }),
      rpc.call(address, truncateRoute, { path: inside, length: 0 }),
      rpc.call(address, renameRoute, { from: TRASH_ROOT, to: '/t' }),
    ]) {
      expect(await codeOfAsync(call)).toBe('NOT_FOUND');
    }
    for (const call of [
      rpc.call(address, mkdirRoute, { path: TRASH_ROOT, recursive: true }),
      rpc.call(address, createRoute, { path: inside, overwrite: true }),
      rpc.call(address, renameRoute, { from: '/h', to: inside }),
      rpc.call(address, restoreRoute, { path: '/d', to: inside }),
    ]) {
      expect(await codeOfAsync(call)).toBe('INVALID_PATH');
    }

    // The newest deletion of /h first; an existing destination is refused.
    expect(await codeOfAsync(rpc.call(address, restoreRoute, { path: '/h' }))).toBe('ALREADY_EXISTS');
    const restored = await rpc.call(address, restoreRoute, { path: '/h', to: '/h2' });
    expect(restored).toEqual({ path: '/h2', deletedAtMs: trash.entries[2]?.deletedAtMs });
    await rpc.call(address, restoreRoute, { path: '/d/e/f' });
    await rpc.call(address, restoreRoute, { path: '/d', to: '/d2' });
    expect(await codeOfAsync(rpc.call(address, restoreRoute, { path: '/nothing' }))).toBe('NOT_FOUND');
    const after = await rpc.call(address, trashRoute, {});
    expect(after.entries.map((entry) => entry.path)).toEqual(['/h']);
    expect((await rpc.call(address, statRoute, { path: '/d/e/f' })).type).toBe('file');
    expect((await rpc.call(address, statRoute, { path: '/d2/g' })).type).toBe('file');
    expect((await rpc.call(address, statusRoute, {})).trashedFiles).toBe(1);
  });

  it('deletes at once with a retention of 0', async () => {
    const { address } = await master(0);
    await rpc.call(address, createRoute, { path: '/f', overwrite: false });
    await rpc.call(address, deleteRoute, { path: '/f', recursive: false });
    expect((await rpc.call(address, trashRoute, {})).entries).toEqual([]);
    expect(await codeOfAsync(rpc.call(address, restoreRoute, { path: '/f' }))).toBe('NOT_FOUND');
    // No trash root was ever made.
    expect((await rpc.call(address, statusRoute, {})).trashedFiles).toBe(0);
  });
});
