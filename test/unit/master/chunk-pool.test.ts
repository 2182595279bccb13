// The master's pool of chunks created ahead of demand, with an injected clock and fake
// chunkservers that record grants: allocation from the pool needs no grant, a create's reserved
// chunk is attached by the extend in one commit with the length, and pooled chunks that age, lose
// a replica or a primary are deleted, never handed out; a restarted master forgets them all.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GrantBody } from '../../../master/leases/grants.js';
import { MasterNode } from '../../../master/master-node.js';
import { apply } from '../../../master/state/apply.js';
import { createState } from '../../../master/state/namespace-table.js';
import { GfsError } from '../../../shared/errors.js';
import { CHUNK_POOL_READY_MIN } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import { noSnapshotOrders } from './unexpected-orders.js';

const CHUNK = 1024 * 1024;
const LEASE_MS = 60_000;
const DEAD_AFTER_MS = 10_000;
const POOL = 4;
const SERVERS = ['cs1', 'cs2', 'cs3'];

interface Harness {
  node: MasterNode;
  /** Every grant sent, batched or not. */
  grants: Array<{ address: string; handle: string; lease: boolean }>;
  advance(ms: number): void;
  register(id: string, chunks?: Array<{ handle: string; version: number }>): Promise<string[]>;
  heartbeat(...ids: string[]): void;
  reopen(): Promise<void>;
}

const dirs: string[] = [];
const nodes: MasterNode[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function harness(leaseMs = LEASE_MS, pool = POOL): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gfs-pool-'));
  dirs.push(dataDir);
  let now = 1_000_000;
  const grants: Harness['grants'] = [];
  const record = (address: string, body: GrantBody) =>
    grants.push({ address, handle: body.handle, lease: body.leaseMs !== undefined });
  const open = async () => {
    const node = await MasterNode.open({
      ...noSnapshotOrders,
      dataDir,
      chunkSizeBytes: CHUNK,
      replication: 3,
      leaseMs,
      deadAfterMs: DEAD_AFTER_MS,
      trashRetentionMs: 0,
      startupWaitMs: 0,
      chunkPoolChunks: pool,
      clock: () => now,
      grant: async (address, body) => {
        record(address, body);
      },
      grantBatch: async (address, bodies) => {
        for (const body of bodies) record(address, body);
        return bodies.map(() => undefined);
      },
      cut: async (address) => {
        throw new GfsError('INTERNAL', 'no cut expected', address);
      },
      clone: async (address) => {
        throw new GfsError('INTERNAL', 'no clone expected', address);
      },
      logger: silentLogger(),
    });
    nodes.push(node);
    return node;
  };
  const h: Harness = {
    node: await open(),
    grants,
    advance: (ms) => {
      now += ms;
    },
    register: (id, chunks = []) =>
      h.node.register(
        { id, address: `${id}:1`, rack: '', capacityBytes: 1e12, usedBytes: 0 },
        chunks.map((chunk) => ({ ...chunk, size: 0 })),
      ),
    heartbeat: (...ids) => {
      for (const id of ids) h.node.registry.heartbeat(id, 1e12, 0);
    },
    reopen: async () => {
      await h.node.close();
      nodes.splice(nodes.indexOf(h.node), 1);
      h.node = await open();
    },
  };
  for (const id of SERVERS) await h.register(id);
  return h;
}

async function createFile(h: Harness, path: string): Promise<void> {
  await h.node.commit({ op: 'create', path, overwrite: false, replication: 3, mode: 0o644, mtimeMs: 1 });
}

/** A first allocation (granted the usual way) starts the pool; resolves once it is full. */
async function filledPool(h: Harness): Promise<void> {
  await createFile(h, '/warm');
  await h.node.leases.lease('/warm', 0);
  await h.node.leases.pool.settled();
  expect(h.node.leases.pool.readyCount).toBe(POOL);
}

function pendingDeletes(h: Harness, handle: string): string[] {
  return SERVERS.filter((id) => h.node.registry.servers.get(id)?.pendingDeletes.has(handle));
}

describe('the chunk pool', () => {
  it('hands a new chunk out already granted, and refills only after demand', async () => {
    const h = await harness();
    expect(h.grants).toEqual([]);
    await filledPool(h);
    const granted = h.grants.length;
    expect(granted).toBe(3 + POOL * 3);
    await createFile(h, '/f');
    const grant = await h.node.leases.lease('/f', 0);
    expect(grant).toMatchObject({ version: 1, leaseMs: LEASE_MS });
    expect([grant.primary, ...grant.secondaries].sort()).toEqual(['cs1:1', 'cs2:1', 'cs3:1']);
    // No grant on the way: the chunk was created (with its primary's lease) before it was asked for.
    expect(h.grants.slice(granted).some((entry) => entry.handle === grant.handle)).toBe(false);
    expect(h.node.state.chunks.get(grant.handle)).toEqual({ version: 1, refcount: 1 });
    expect(h.node.leases.primaryAddressOf(grant.handle)).toBe(grant.primary);
    expect(h.node.leases.isBusy(grant.handle)).toBe(false);
    // The taken chunk is replaced; then nothing more is created while nobody asks.
    await h.node.leases.pool.settled();
    expect(h.node.leases.pool.readyCount).toBe(POOL);
    const settled = h.grants.length;
    h.advance(1_000);
    h.node.leases.pool.expire();
    await h.node.leases.pool.settled();
    expect(h.grants.length).toBe(settled);
  });

  it('attaches a create’s reserved chunk with the extend, in one commit with the length', async () => {
    const h = await harness();
    await filledPool(h);
    await createFile(h, '/small');
    const reserved = h.node.leases.reserveFirstChunk(3);
    if (reserved === undefined) throw new Error('no chunk reserved');
    // Reserved, not the file's yet: reports leave it alone, and nobody else gets it.
    expect(h.node.leases.isBusy(reserved.handle)).toBe(true);
    expect(h.node.state.chunks.has(reserved.handle)).toBe(false);
    const before = h.node.stateLog.seq;
    await h.node.leases.attachFirstChunk('/small', reserved.handle, 4096, 5);
    const file = h.node.state.entries.get('/small');
    expect(file?.type === 'file' && [file.chunks, file.length, file.mtimeMs]).toEqual([[reserved.handle], 4096, 5]);
    expect(h.node.stateLog.seq).toBe(before + 2);
    expect(h.node.leases.primaryAddressOf(reserved.handle)).toBe(reserved.primary);
    // Once only; and never onto a file that has chunks by then (the chunk is deleted instead).
    await expect(h.node.leases.attachFirstChunk('/small', reserved.handle, 4096, 6)).rejects.toMatchObject({
      code: 'CHUNK_NOT_FOUND',
    });
    const other = h.node.leases.reserveFirstChunk(3);
    if (other === undefined) throw new Error('no chunk reserved');
    await expect(h.node.leases.attachFirstChunk('/small', other.handle, 10, 7)).rejects.toMatchObject({
      code: 'ALREADY_EXISTS',
    });
    expect(pendingDeletes(h, other.handle)).toEqual(SERVERS);
    // The log replays to the same file.
    await h.reopen();
    const replayed = h.node.state.entries.get('/small');
    expect(replayed?.type === 'file' && [replayed.chunks, replayed.length]).toEqual([[reserved.handle], 4096]);
  });

  it('deletes pooled chunks past their usable time and reservations past their lease, never hands them out', async () => {
    const h = await harness();
    await filledPool(h);
    await createFile(h, '/late');
    const reserved = h.node.leases.reserveFirstChunk(3);
    if (reserved === undefined) throw new Error('no chunk reserved');
    await h.node.leases.pool.settled();
    h.advance(LEASE_MS / 2);
    h.heartbeat(...SERVERS);
    h.node.leases.pool.expire();
    expect(h.node.leases.pool.readyCount).toBe(0);
    h.advance(LEASE_MS / 2);
    h.heartbeat(...SERVERS);
    h.node.leases.pool.expire();
    expect(pendingDeletes(h, reserved.handle)).toEqual(SERVERS);
    await expect(h.node.leases.attachFirstChunk('/late', reserved.handle, 1, 1)).rejects.toMatchObject({
      code: 'CHUNK_NOT_FOUND',
    });
    // The next allocation is granted the usual way (and starts a new pool).
    await createFile(h, '/next');
    const granted = h.grants.length;
    const grant = await h.node.leases.lease('/next', 0);
    expect(h.grants.slice(granted).filter((entry) => entry.handle === grant.handle)).toHaveLength(3);
  });

  it('skips chunks with a dead replica or a restarted primary; reports leave pooled chunks alone', async () => {
    const h = await harness();
    await filledPool(h);
    const pooled = [...new Set(h.grants.map((entry) => entry.handle))].slice(1);
    const primaries = new Set(h.grants.filter((entry) => entry.lease).map((entry) => entry.address.split(':')[0]));
    // A full report from a server holding pooled chunks leaves them alone: busy, not orphans.
    const secondary = SERVERS.find((id) => !primaries.has(id)) as string;
    expect(
      await h.register(
        secondary,
        pooled.map((handle) => ({ handle, version: 1 })),
      ),
    ).toEqual([]);
    expect(h.node.leases.pool.readyCount).toBe(POOL);
    // Their primary registers again (it restarted and forgot its leases): they are dropped, deleted.
    const [primary] = [...primaries];
    if (primary === undefined) throw new Error('no primary');
    expect((await h.register(primary, [])).length).toBeGreaterThan(0);
    expect(h.node.leases.pool.readyCount).toBeLessThan(POOL);
    await h.node.leases.pool.settled();
    // cs3 falls silent past --dead-after: no chunk holding it is handed out.
    h.advance(DEAD_AFTER_MS + 1);
    h.heartbeat('cs1', 'cs2');
    await createFile(h, '/f');
    const grant = await h.node.leases.lease('/f', 0);
    expect([grant.primary, ...grant.secondaries].sort()).toEqual(['cs1:1', 'cs2:1']);
    // The pool refills on the live servers only, and serves from there.
    await h.node.leases.pool.settled();
    await createFile(h, '/g');
    const granted = h.grants.length;
    const next = await h.node.leases.lease('/g', 0);
    expect([next.primary, ...next.secondaries].sort()).toEqual(['cs1:1', 'cs2:1']);
    expect(h.grants.slice(granted).some((entry) => entry.handle === next.handle)).toBe(false);
  });

  it('forgets its chunks when the master restarts: reports delete them, and their handles are never reused', async () => {
    const h = await harness();
    await filledPool(h);
    const warm = h.node.state.entries.get('/warm');
    const warmHandle = warm?.type === 'file' ? warm.chunks[0] : undefined;
    const pooled = h.grants.map((entry) => entry.handle).filter((handle) => handle !== warmHandle);
    expect(new Set(pooled).size).toBe(POOL);
    await h.reopen();
    const deletes = await h.register(
      'cs1',
      [...new Set(pooled)].map((handle) => ({ handle, version: 1 })),
    );
    expect(deletes.sort()).toEqual([...new Set(pooled)].sort());
    await createFile(h, '/f');
    const grant = await h.node.leases.lease('/f', 0);
    expect(pooled).not.toContain(grant.handle);
  });
});

describe('the pool’s size', () => {
  it('follows demand: a few chunks for an occasional new chunk, up to the bound for a stream', async () => {
    const h = await harness(LEASE_MS, 64);
    await filledOrWarm(h);
    // One chunk taken in the last second: a few are kept, not 64.
    expect(h.node.leases.pool.readyCount).toBe(CHUNK_POOL_READY_MIN);
    // A stream of new files, each taking one: the pool grows with it, up to its bound.
    for (let i = 0; i < 40; i++) {
      await createFile(h, `/s${i}`);
      await h.node.leases.lease(`/s${i}`, 0);
      await h.node.leases.pool.settled();
    }
    expect(h.node.leases.pool.readyCount).toBeGreaterThan(CHUNK_POOL_READY_MIN * 4);
    expect(h.node.leases.pool.readyCount).toBeLessThanOrEqual(64);
    expect(h.node.leases.pool.counts.taken).toBeGreaterThan(30);
  });

  it('anticipates a burst: a delegated directory fills it ahead of the files its holder will send', async () => {
    const h = await harness(LEASE_MS, 64);
    await filledOrWarm(h);
    expect(h.node.leases.pool.readyCount).toBe(CHUNK_POOL_READY_MIN);
    h.node.leases.pool.anticipate(32);
    await h.node.leases.pool.settled();
    // Twice the anticipated takes, as for takes that happened: the burst's sends find chunks ready.
    expect(h.node.leases.pool.readyCount).toBe(64);
    // Nothing more is created until files take them.
    const granted = h.grants.length;
    h.advance(2_000);
    h.node.leases.pool.expire();
    await h.node.leases.pool.settled();
    expect(h.grants.length).toBe(granted);
  });
});

describe('short leases', () => {
  it('keep no pool: every new chunk is granted as it is asked for', async () => {
    const h = await harness(5_000);
    await createFile(h, '/f');
    await h.node.leases.lease('/f', 0);
    await h.node.leases.pool.settled();
    expect(h.node.leases.pool.readyCount).toBe(0);
    expect(h.node.leases.reserveFirstChunk(3)).toBeUndefined();
    expect(h.grants).toHaveLength(3);
  });
});

describe('a new chunk seen while its record is written', () => {
  for (const [what, leaseMs] of [
    ['granted as it is asked for', 5_000],
    ['taken from the pool', LEASE_MS],
  ] as const) {
    it(`has its replicas for a reader that waited for the disk (${what})`, async () => {
      const h = await harness(leaseMs);
      await filledOrWarm(h);
      await createFile(h, '/f');
      const leasing = h.node.leases.lease('/f', 0);
      // The moment its record is applied, a reader arrives: it waits for the disk (as locate and
      // `gfs stat --chunks` do), then reads.
      let barrier = h.node.readBarrier();
      for (let turns = 0; barrier === undefined; turns++) {
        if (turns > 10_000) throw new Error('the chunk was never applied');
        await Promise.resolve();
        barrier = h.node.readBarrier();
      }
      await barrier;
      const file = h.node.state.entries.get('/f');
      const handle = file?.type === 'file' ? file.chunks[0] : undefined;
      if (handle === undefined) throw new Error('no chunk');
      expect(h.node.registry.liveHolders(handle)).toHaveLength(3);
      expect(h.node.leases.primaryAddressOf(handle)).not.toBeNull();
      await leasing;
    });
  }
});

/** A first allocation (which also reserves a block of handles, and starts the pool when there is one). */
async function filledOrWarm(h: Harness): Promise<void> {
  await createFile(h, '/warm');
  await h.node.leases.lease('/warm', 0);
  await h.node.leases.pool.settled();
}

describe('attach records', () => {
  it('replay as the addChunk and extend they are', () => {
    const state = createState(CHUNK);
    state.nextHandle = 10n;
    apply(state, { op: 'create', path: '/f', overwrite: false, replication: 3, mode: 0o644, mtimeMs: 1 });
    apply(state, { op: 'addChunk', path: '/f', index: 0, handle: '3', version: 1 });
    apply(state, { op: 'extend', path: '/f', length: 4096, mtimeMs: 2 });
    const file = state.entries.get('/f');
    expect(file?.type === 'file' && [file.chunks, file.length]).toEqual([['3'], 4096]);
  });
});
