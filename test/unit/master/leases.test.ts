// Lease logic and chunk reports with an injected clock and a fake chunkserver grant caller.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { locateChunks } from '../../../master/chunkservers/locate.js';
import type { GrantBody } from '../../../master/leases/grants.js';
import { MasterNode } from '../../../master/master-node.js';
import { GfsError } from '../../../shared/errors.js';
import { HOLE_CHUNKS_PER_LEASE_MAX } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import { noSnapshotOrders } from './unexpected-orders.js';

const CHUNK = 1024 * 1024;
const LEASE_MS = 60_000;
const DEAD_AFTER_MS = 10_000;

interface Harness {
  node: MasterNode;
  grants: Array<{ address: string; body: GrantBody }>;
  down: Set<string>;
  advance(ms: number): void;
  register(id: string, usedBytes?: number, chunks?: Array<{ handle: string; version: number }>): Promise<string[]>;
  heartbeat(...ids: string[]): void;
  reopen(): Promise<void>;
}

const dirs: string[] = [];
const nodes: MasterNode[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function harness(startupWaitMs = 5_000): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gfs-leases-'));
  dirs.push(dataDir);
  let now = 1_000_000;
  const grants: Harness['grants'] = [];
  const down = new Set<string>();
  const open = async () => {
    const node = await MasterNode.open({
      ...noSnapshotOrders,
      dataDir,
      chunkSizeBytes: CHUNK,
      replication: 3,
      leaseMs: LEASE_MS,
      deadAfterMs: DEAD_AFTER_MS,
      trashRetentionMs: 0,
      startupWaitMs,
      clock: () => now,
      grant: async (address, body) => {
        grants.push({ address, body });
        if (down.has(address)) throw new GfsError('UNAVAILABLE', 'down', address);
      },
      cut: async (address) => {
        throw new GfsError('INTERNAL', 'no chunk cut expected in these tests', address);
      },
      clone: async (address) => {
        throw new GfsError('INTERNAL', 'no clone expected in these tests', address);
      },
      logger: silentLogger(),
    });
    nodes.push(node);
    return node;
  };
  const h: Harness = {
    node: await open(),
    grants,
    down,
    advance: (ms) => {
      now += ms;
    },
    register: async (id, usedBytes = 0, chunks = []) => {
      return h.node.register(
        { id, address: `${id}:1`, rack: '', capacityBytes: 1e12, usedBytes },
        chunks.map((chunk) => ({ ...chunk, size: 0 })),
      );
    },
    heartbeat: (...ids) => {
      for (const id of ids) h.node.registry.heartbeat(id, 1e12, 0);
    },
    reopen: async () => {
      await h.node.close();
      nodes.splice(nodes.indexOf(h.node), 1);
      h.node = await open();
    },
  };
  return h;
}

async function createFile(h: Harness, path: string, replication = 3): Promise<void> {
  await h.node.commit({ op: 'create', path, overwrite: false, replication, mode: 0o644, mtimeMs: 1 });
}

/** File /f with one chunk at version 1 on cs1 and cs2: its handle. */
async function chunkOnTwo(h: Harness): Promise<string> {
  for (const id of ['cs1', 'cs2']) await h.register(id);
  await createFile(h, '/f', 2);
  return (await h.node.leases.lease('/f', 0)).handle;
}

function replicasOf(h: Harness, path: string, index = 0): string[] {
  return locateChunks(h.node.state, h.node.registry, { path, index, count: 1 }, path).chunks[0]?.replicas ?? [];
}

describe('new chunks', () => {
  it('places a new chunk on the least-used servers, leases it to the primary, then logs it', async () => {
    const h = await harness();
    await h.register('cs1', 300);
    await h.register('cs2', 100);
    await h.register('cs3', 200);
    await h.register('cs4', 400);
    await createFile(h, '/f');
    const grant = await h.node.leases.lease('/f', 0);
    expect(grant).toMatchObject({ version: 1, primary: 'cs2:1', secondaries: ['cs3:1', 'cs1:1'], leaseMs: LEASE_MS });
    expect(h.grants.map((g) => [g.address, g.body.create, g.body.version, g.body.leaseMs])).toEqual([
      ['cs2:1', true, 1, LEASE_MS],
      ['cs3:1', true, 1, undefined],
      ['cs1:1', true, 1, undefined],
    ]);
    expect(h.node.state.chunks.get(grant.handle)).toEqual({ version: 1, refcount: 1 });
    expect(replicasOf(h, '/f').sort()).toEqual(['cs1:1', 'cs2:1', 'cs3:1']);
  });

  it('allocates the chunks before the wanted one (holes) and only leases the wanted one', async () => {
    const h = await harness();
    await h.register('cs1');
    await createFile(h, '/f', 2);
    const grant = await h.node.leases.lease('/f', 2);
    const file = h.node.state.entries.get('/f');
    expect(file?.type === 'file' && file.chunks).toEqual([expect.any(String), expect.any(String), grant.handle]);
    expect(h.grants.filter((g) => g.body.leaseMs !== undefined).map((g) => g.body.handle)).toEqual([grant.handle]);
    expect(grant.secondaries).toEqual([]);
  });

  it('refuses a chunk further past the end than the hole bound, allocating nothing', async () => {
    const h = await harness();
    await h.register('cs1');
    await createFile(h, '/f');
    await expect(h.node.leases.lease('/f', HOLE_CHUNKS_PER_LEASE_MAX + 1)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(h.grants).toHaveLength(0);
    expect(h.node.state.chunks.size).toBe(0);
  });

  it('concurrent requests for the same new chunk allocate it once', async () => {
    const h = await harness();
    await h.register('cs1');
    await createFile(h, '/f');
    const [a, b] = await Promise.all([h.node.leases.lease('/f', 0), h.node.leases.lease('/f', 0)]);
    expect(a.handle).toBe(b.handle);
    expect(h.grants).toHaveLength(1);
  });

  it('is UNAVAILABLE with no live chunkserver or when none takes the chunk', async () => {
    const h = await harness();
    await createFile(h, '/f');
    await expect(h.node.leases.lease('/f', 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await h.register('cs1');
    h.down.add('cs1:1');
    await expect(h.node.leases.lease('/f', 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(h.node.state.chunks.size).toBe(0);
    await expect(h.node.leases.lease('/nope', 0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('leases on existing chunks', () => {
  it('returns a valid lease as is, and bumps the version once it expired', async () => {
    const h = await harness();
    for (const id of ['cs1', 'cs2', 'cs3']) await h.register(id);
    await createFile(h, '/f');
    const first = await h.node.leases.lease('/f', 0);
    h.advance(5_000);
    h.heartbeat('cs1', 'cs2', 'cs3');
    const again = await h.node.leases.lease('/f', 0);
    expect(again).toMatchObject({
      handle: first.handle,
      version: 1,
      primary: first.primary,
      leaseMs: LEASE_MS - 5_000,
    });
    expect(h.grants).toHaveLength(3);

    h.advance(LEASE_MS);
    h.heartbeat('cs1', 'cs2', 'cs3');
    h.down.add('cs3:1');
    const bumped = await h.node.leases.lease('/f', 0);
    expect(bumped.version).toBe(2);
    expect(bumped.primary).toBe(first.primary);
    expect(h.node.state.chunks.get(first.handle)?.version).toBe(2);
    const bumpGrants = h.grants.slice(3);
    expect(bumpGrants.every((g) => g.body.create === false && g.body.version === 2)).toBe(true);
    expect(bumpGrants.filter((g) => g.body.leaseMs === LEASE_MS).map((g) => g.address)).toEqual([first.primary]);
    // cs3 missed the bump: stale, never handed out, and deleted when it reports.
    expect(replicasOf(h, '/f')).not.toContain('cs3:1');
    expect(await h.register('cs3', 0, [{ handle: first.handle, version: 1 }])).toEqual([first.handle]);
  });

  it('re-grants with a version bump when a secondary died, so it becomes stale', async () => {
    const h = await harness();
    for (const id of ['cs1', 'cs2', 'cs3']) await h.register(id);
    await createFile(h, '/f');
    const first = await h.node.leases.lease('/f', 0);
    const dead = first.secondaries[0] as string;
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat(...['cs1', 'cs2', 'cs3'].filter((id) => `${id}:1` !== dead));
    const regrant = await h.node.leases.lease('/f', 0);
    expect(regrant.version).toBe(2);
    expect(regrant.primary).toBe(first.primary);
    expect(regrant.secondaries).not.toContain(dead);
    expect(h.grants.slice(3).map((g) => g.address)).not.toContain(dead);
  });

  it('replaces a dead primary at once with a version bump to the live replicas', async () => {
    const h = await harness();
    for (const id of ['cs1', 'cs2', 'cs3']) await h.register(id);
    await createFile(h, '/f');
    const first = await h.node.leases.lease('/f', 0);
    const alive = ['cs1', 'cs2', 'cs3'].filter((id) => `${id}:1` !== first.primary);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat(...alive);
    // DEAD_AFTER_MS is well inside the old lease (LEASE_MS): the dead primary is not waited out.
    const next = await h.node.leases.lease('/f', 0);
    expect(next.version).toBe(2);
    expect(next.primary).not.toBe(first.primary);
    expect(next.secondaries).toHaveLength(1);
    expect([next.primary, ...next.secondaries].sort()).toEqual(alive.map((id) => `${id}:1`).sort());
    // Every replica of the old lease except the dead primary took the new version, so a write the
    // old primary might still try (it needs all of them) cannot succeed.
    expect(
      h.grants
        .slice(3)
        .map((g) => g.address)
        .sort(),
    ).toEqual(alive.map((id) => `${id}:1`).sort());
  });

  it('extends leases through heartbeats for the current primary only', async () => {
    const h = await harness();
    for (const id of ['cs1', 'cs2']) await h.register(id);
    await createFile(h, '/f');
    const grant = await h.node.leases.lease('/f', 0);
    const primaryId = grant.primary.replace(':1', '');
    const secondaryId = (grant.secondaries[0] as string).replace(':1', '');
    h.advance(30_000);
    expect(h.node.leases.extend(secondaryId, [grant.handle])).toEqual([]);
    expect(h.node.leases.extend(primaryId, [grant.handle])).toEqual([
      { handle: grant.handle, version: 1, leaseMs: LEASE_MS },
    ]);
    h.advance(45_000);
    h.heartbeat('cs1', 'cs2');
    expect((await h.node.leases.lease('/f', 0)).version).toBe(1);
  });
});

describe('chunkserver restarts', () => {
  it('a re-registering primary loses its leases, so the next request re-grants at once', async () => {
    const h = await harness();
    for (const id of ['cs1', 'cs2']) await h.register(id);
    await createFile(h, '/f', 2);
    const first = await h.node.leases.lease('/f', 0);
    const primaryId = first.primary.replace(':1', '');
    await h.register(primaryId, 0, [{ handle: first.handle, version: 1 }]);
    const next = await h.node.leases.lease('/f', 0);
    expect(next.version).toBe(2);
    expect([next.primary, ...next.secondaries].sort()).toEqual(['cs1:1', 'cs2:1']);
  });
});

describe('chunk reports', () => {
  it('adopts a higher reported version, deletes stale and unknown replicas', async () => {
    const h = await harness();
    const handle = await chunkOnTwo(h);
    // cs1 took a bump the master never logged (it crashed in between): adopted at its heartbeat.
    const deletes = await h.register('cs1', 0, [
      { handle, version: 5 },
      { handle: '999999', version: 1 },
    ]);
    expect(deletes).toEqual(['999999']);
    await h.node.heartbeat('cs1', 1e12, 0);
    expect(h.node.state.chunks.get(handle)?.version).toBe(5);
    expect(replicasOf(h, '/f')).toEqual(['cs1:1']);
    expect(h.node.registry.takeDeletes('cs2')).toEqual([handle]);
    expect(await h.register('cs2', 0, [{ handle, version: 1 }])).toEqual([handle]);
  });

  it('a registration alone does not adopt a higher version: the first heartbeat does', async () => {
    const h = await harness();
    const handle = await chunkOnTwo(h);
    // One request claims the chunk far ahead (a broken or hostile peer, as the route fuzzer's
    // was): until that server heartbeats, the real replicas stay current and nothing is deleted.
    await h.register('fake', 0, [{ handle, version: 7 }]);
    expect(h.node.state.chunks.get(handle)?.version).toBe(1);
    expect(replicasOf(h, '/f').sort()).toEqual(['cs1:1', 'cs2:1']);
    expect(h.node.registry.takeDeletes('cs1')).toEqual([]);
    // A server that goes on heartbeating is a running chunkserver: its version is adopted.
    expect(await h.node.heartbeat('fake', 1e12, 0)).toBeDefined();
    expect(h.node.state.chunks.get(handle)?.version).toBe(7);
    expect(h.node.registry.takeDeletes('cs1')).toEqual([handle]);
    expect(replicasOf(h, '/f')).toEqual(['fake:1']);
  });

  it('a running holder reporting a higher version keeps its replica; only the others are stale', async () => {
    const h = await harness();
    const handle = await chunkOnTwo(h);
    // cs1 stored a grant whose answer the master never got (or a peer's stray grant), then sent
    // its periodic full report: before, the master adopted it and ordered cs1's deletion too.
    h.heartbeat('cs1', 'cs2');
    await h.node.processReport('cs1', [{ handle, version: 3, size: 0 }]);
    expect(h.node.state.chunks.get(handle)?.version).toBe(3);
    expect(replicasOf(h, '/f')).toEqual(['cs1:1']);
    expect(h.node.registry.takeDeletes('cs1')).toEqual([]);
    expect(h.node.registry.takeDeletes('cs2')).toEqual([handle]);
  });

  it('a registering server that never heartbeats leaves the chunk as it was', async () => {
    const h = await harness();
    const handle = await chunkOnTwo(h);
    await h.register('fake', 0, [{ handle, version: 2 }]);
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2');
    expect(h.node.state.chunks.get(handle)?.version).toBe(1);
    expect(replicasOf(h, '/f').sort()).toEqual(['cs1:1', 'cs2:1']);
  });

  it('never adopts a version above CHUNK_VERSION_MAX, and deletes nothing for it', async () => {
    const h = await harness();
    const handle = await chunkOnTwo(h);
    h.heartbeat('cs1');
    await h.node.processReport('cs1', [{ handle, version: Number.MAX_SAFE_INTEGER, size: 0 }]);
    expect(h.node.state.chunks.get(handle)?.version).toBe(1);
    expect(replicasOf(h, '/f')).toEqual(['cs2:1']);
    expect(h.node.registry.takeDeletes('cs1')).toEqual([]);
    expect(h.node.registry.takeDeletes('cs2')).toEqual([]);
  });

  it('after a restart, a bump the master never logged is adopted at the first heartbeats', async () => {
    const h = await harness(60_000);
    const handle = await chunkOnTwo(h);
    await h.reopen();
    for (const id of ['cs1', 'cs2']) await h.register(id, 0, [{ handle, version: 2 }]);
    expect(h.node.gate.isReady()).toBe(false);
    // cs2 took the same grant as cs1: current with it, before its own heartbeat.
    await h.node.heartbeat('cs1', 1e12, 0);
    expect(h.node.gate.isReady()).toBe(true);
    expect(h.node.state.chunks.get(handle)?.version).toBe(2);
    expect(replicasOf(h, '/f').sort()).toEqual(['cs1:1', 'cs2:1']);
    await h.node.heartbeat('cs2', 1e12, 0);
    expect(replicasOf(h, '/f').sort()).toEqual(['cs1:1', 'cs2:1']);
    expect(h.node.registry.takeDeletes('cs2')).toEqual([]);
  });

  it('a held version the master granted meanwhile is stale, not a second replica at that version', async () => {
    const h = await harness(60_000);
    const handle = await chunkOnTwo(h);
    await h.reopen();
    // cs1 took a bump the master never logged; cs2 did not. A lease before cs1's heartbeat goes
    // to cs2 at that same version, and cs2 may take writes at it that cs1 never sees.
    await h.register('cs1', 0, [{ handle, version: 2 }]);
    await h.register('cs2', 0, [{ handle, version: 1 }]);
    expect((await h.node.leases.lease('/f', 0)).version).toBe(2);
    await h.node.heartbeat('cs1', 1e12, 0);
    expect(replicasOf(h, '/f')).toEqual(['cs2:1']);
    expect(h.node.registry.takeDeletes('cs1')).toEqual([handle]);
  });

  it('deleting a file schedules the deletion of its replicas', async () => {
    const h = await harness();
    await h.register('cs1');
    await createFile(h, '/f', 1);
    const { handle } = await h.node.leases.lease('/f', 0);
    await h.node.commit({ op: 'delete', path: '/f', recursive: false, mtimeMs: 2 });
    expect(h.node.registry.takeDeletes('cs1')).toEqual([handle]);
    expect(h.node.leases.leases.get(handle)).toBeUndefined();
  });

  it('after a restart, waits for a report of every chunk (or the start-up wait) before leasing', async () => {
    const h = await harness(5_000);
    await h.register('cs1');
    await createFile(h, '/f', 1);
    await createFile(h, '/g', 1);
    const f = await h.node.leases.lease('/f', 0);
    const g = await h.node.leases.lease('/g', 0);
    await h.reopen();
    expect(h.node.gate.isReady()).toBe(false);
    await expect(h.node.leases.lease('/f', 0)).rejects.toMatchObject({ code: 'NOT_READY' });
    await h.register('cs1', 0, [{ handle: f.handle, version: 1 }]);
    expect(h.node.gate.isReady()).toBe(false);
    h.advance(5_000);
    expect(h.node.gate.isReady()).toBe(true);
    // The first lease after a restart bumps the version.
    expect((await h.node.leases.lease('/f', 0)).version).toBe(2);
    await expect(h.node.leases.lease('/g', 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    // New handles never reuse ones reserved before the restart.
    await createFile(h, '/h', 1);
    const fresh = await h.node.leases.lease('/h', 0);
    expect(BigInt(fresh.handle)).toBeGreaterThan(BigInt(g.handle) + 1000n);
  });

  it('is ready at once with an empty chunk table, and once every chunk was reported', async () => {
    const h = await harness(60_000);
    expect(h.node.gate.isReady()).toBe(true);
    await h.register('cs1');
    await createFile(h, '/f', 1);
    const f = await h.node.leases.lease('/f', 0);
    await h.reopen();
    expect(h.node.gate.isReady()).toBe(false);
    await h.register('cs1', 0, [{ handle: f.handle, version: 1 }]);
    expect(h.node.gate.isReady()).toBe(true);
    expect(replicasOf(h, '/f')).toEqual(['cs1:1']);
  });
});
