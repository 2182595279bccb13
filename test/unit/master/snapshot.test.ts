// Snapshots at the master with fake chunkservers (injected grant, revoke and copy-local callers and
// clock): the fence before the record (revoke at the primary, version bump without a lease on every
// replica), copy-on-write before the next lease of a shared chunk (one copy however many writers
// ask), replicas that fail the copy, and a restart replaying the records.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CopyLocalBody } from '../../../master/leases/copy-on-write.js';
import type { GrantBody } from '../../../master/leases/grants.js';
import { MasterNode } from '../../../master/master-node.js';
import type { RevokeBody } from '../../../master/snapshots/fence.js';
import { GfsError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { codeOfAsync } from '../../harness/error-code.js';

const CHUNK = 1024 * 1024;
const LEASE_MS = 60_000;
const SERVERS = ['cs1', 'cs2', 'cs3'];

interface Calls {
  grants: Array<{ address: string; body: GrantBody }>;
  revokes: Array<{ address: string; body: RevokeBody }>;
  copies: Array<{ address: string; body: CopyLocalBody }>;
}

interface Harness extends Calls {
  node: MasterNode;
  /** Addresses whose calls fail. */
  down: Set<string>;
  /** When set, every copy-local and grant waits for it (to overlap requests). */
  gate: Promise<void> | undefined;
  now: number;
  reopen(): Promise<void>;
  clear(): void;
}

const dirs: string[] = [];
const nodes: MasterNode[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function harness(): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gfs-snapshot-'));
  dirs.push(dataDir);
  const calls = async <T>(list: Array<{ address: string; body: T }>, address: string, body: T) => {
    list.push({ address, body });
    await h.gate;
    if (h.down.has(address)) throw new GfsError('UNAVAILABLE', 'down', address);
  };
  const open = async () => {
    const node = await MasterNode.open({
      dataDir,
      chunkSizeBytes: CHUNK,
      replication: 3,
      leaseMs: LEASE_MS,
      deadAfterMs: 10_000,
      trashRetentionMs: 0,
      startupWaitMs: 5_000,
      clock: () => h.now,
      grant: (address, body) => calls(h.grants, address, body),
      revoke: (address, body) => calls(h.revokes, address, body),
      copyLocal: (address, body) => calls(h.copies, address, body),
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
    node: undefined as unknown as MasterNode,
    grants: [],
    revokes: [],
    copies: [],
    down: new Set(),
    gate: undefined,
    now: 1_000_000,
    reopen: async () => {
      await h.node.close();
      nodes.splice(nodes.indexOf(h.node), 1);
      h.node = await open();
    },
    clear: () => {
      h.grants.length = 0;
      h.revokes.length = 0;
      h.copies.length = 0;
    },
  };
  h.node = await open();
  for (const id of SERVERS) await register(h, id);
  return h;
}

async function register(h: Harness, id: string, chunks: Array<{ handle: string; version: number }> = []) {
  return h.node.register(
    { id, address: `${id}:1`, rack: '', capacityBytes: 1e12, usedBytes: 0 },
    chunks.map((chunk) => ({ ...chunk, size: 0 })),
  );
}

/** /d/f with two chunks (leased, as a writer left them) and /d/g with one. */
async function tree(h: Harness): Promise<{ f0: string; f1: string; g0: string }> {
  const node = h.node;
  await node.commit({ op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 1 });
  for (const path of ['/d/f', '/d/g']) {
    await node.commit({ op: 'create', path, overwrite: false, replication: 3, mode: 0o644, mtimeMs: 1 });
  }
  const f1 = (await node.leases.lease('/d/f', 1)).handle;
  const g0 = (await node.leases.lease('/d/g', 0)).handle;
  return { f0: chunkOf(h, '/d/f', 0), f1, g0 };
}

function chunkOf(h: Harness, path: string, index: number): string {
  const entry = h.node.state.entries.get(path);
  if (entry?.type !== 'file') throw new Error(`${path} is not a file`);
  return entry.chunks[index] ?? '';
}

function holders(h: Harness, handle: string): string[] {
  return h.node.registry
    .liveHolders(handle)
    .map((info) => info.id)
    .sort();
}

describe('the snapshot fence', () => {
  it('revokes the primary, bumps the version on every replica without a lease, then shares the chunks', async () => {
    const h = await harness();
    const { f0, f1, g0 } = await tree(h);
    const primaryOf = (handle: string) => h.node.leases.primaryAddressOf(handle);
    const primaries = { [f1]: primaryOf(f1), [g0]: primaryOf(g0) };
    h.clear();
    await h.node.snapshots.snapshot('/d', '/s', 5);

    // Leased chunks (f1, g0): the primary is told to stop first. f0 (a hole, never leased): not.
    expect(h.revokes.map((call) => [call.body.handle, call.address]).sort()).toEqual(
      [
        [f1, primaries[f1]],
        [g0, primaries[g0]],
      ].sort(),
    );
    expect(h.revokes.every((call) => call.body.version === 1)).toBe(true);
    for (const handle of [f0, f1, g0]) {
      const grants = h.grants.filter((call) => call.body.handle === handle);
      expect(grants.map((call) => call.address).sort()).toEqual(['cs1:1', 'cs2:1', 'cs3:1']);
      expect(
        grants.every((call) => call.body.version === 2 && !call.body.create && call.body.leaseMs === undefined),
      ).toBe(true);
      expect(h.node.state.chunks.get(handle)).toEqual({ version: 2, refcount: 2 });
      expect(h.node.leases.leaseHeld(handle)).toBe(false);
    }
    expect(chunkOf(h, '/s/f', 0)).toBe(f0);
    expect(chunkOf(h, '/s/f', 1)).toBe(f1);
    expect(chunkOf(h, '/s/g', 0)).toBe(g0);
    expect(h.copies).toEqual([]);
  });

  it('refuses before fencing anything: missing source, existing destination, inside itself, the trash', async () => {
    const h = await harness();
    await tree(h);
    h.clear();
    const snapshot = (from: string, to: string) => codeOfAsync(h.node.snapshots.snapshot(from, to, 5));
    expect(await snapshot('/nope', '/s')).toBe('NOT_FOUND');
    expect(await snapshot('/d', '/d/f')).toBe('ALREADY_EXISTS');
    expect(await snapshot('/d', '/d/s')).toBe('INVALID_ARGUMENT');
    expect(await snapshot('/d', '/x/s')).toBe('NOT_FOUND');
    expect(await snapshot('/.gfs-trash', '/s')).toBe('NOT_FOUND');
    expect(await snapshot('/d', '/.gfs-trash/s')).toBe('INVALID_PATH');
    expect(h.grants).toEqual([]);
    expect(h.revokes).toEqual([]);
  });

  it('fails UNAVAILABLE, logging no snapshot, when no replica of a chunk takes the new version', async () => {
    const h = await harness();
    await tree(h);
    for (const id of SERVERS) h.down.add(`${id}:1`);
    expect(await codeOfAsync(h.node.snapshots.snapshot('/d', '/s', 5))).toBe('UNAVAILABLE');
    expect(h.node.state.entries.has('/s')).toBe(false);
    // Nothing stays held: once the servers answer again, writes and snapshots go on.
    h.down.clear();
    await h.node.snapshots.snapshot('/d', '/s', 6);
    expect(h.node.state.entries.has('/s/f')).toBe(true);
  });

  it('holds the chunks while it fences: a lease asked meanwhile waits, then gets a copy', async () => {
    const h = await harness();
    const { f1 } = await tree(h);
    h.clear();
    let open: () => void = () => undefined;
    h.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const snapshot = h.node.snapshots.snapshot('/d', '/s', 5);
    await new Promise((resolve) => setImmediate(resolve));
    let leased = false;
    const lease = h.node.leases.lease('/d/f', 1).then((grant) => {
      leased = true;
      return grant;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.node.leases.isBusy(f1)).toBe(true);
    expect(leased).toBe(false);
    h.gate = undefined;
    open();
    await snapshot;
    const grant = await lease;
    expect(grant.handle).not.toBe(f1);
    expect(chunkOf(h, '/s/f', 1)).toBe(f1);
    expect(chunkOf(h, '/d/f', 1)).toBe(grant.handle);
  });
});

describe('copy-on-write', () => {
  it('copies a shared chunk on every replica, logs the replacement, then leases the copy; the other side keeps the chunk', async () => {
    const h = await harness();
    const { f1 } = await tree(h);
    await h.node.snapshots.snapshot('/d', '/s', 5);
    h.clear();
    const grant = await h.node.leases.lease('/d/f', 1);
    const copy = grant.handle;
    expect(copy).not.toBe(f1);
    expect(h.copies.map((call) => call.address).sort()).toEqual(['cs1:1', 'cs2:1', 'cs3:1']);
    expect(h.copies.every((call) => call.body.from === f1 && call.body.to === copy && call.body.version === 2)).toBe(
      true,
    );
    // The lease on the copy is an ordinary grant with a version bump.
    expect(grant.version).toBe(3);
    expect(h.grants.every((call) => call.body.handle === copy)).toBe(true);
    expect(chunkOf(h, '/d/f', 1)).toBe(copy);
    expect(chunkOf(h, '/s/f', 1)).toBe(f1);
    expect(h.node.state.chunks.get(f1)).toEqual({ version: 2, refcount: 1 });
    expect(h.node.state.chunks.get(copy)).toEqual({ version: 3, refcount: 1 });
    expect(holders(h, copy)).toEqual(SERVERS);

    // f1 is now the snapshot's alone: its next lease needs no copy.
    h.clear();
    const own = await h.node.leases.lease('/s/f', 1);
    expect(own.handle).toBe(f1);
    expect(h.copies).toEqual([]);
  });

  it('makes one copy however many writers of the shared chunk ask at once, in either file', async () => {
    const h = await harness();
    const { f1 } = await tree(h);
    await h.node.snapshots.snapshot('/d', '/s', 5);
    h.clear();
    let open: () => void = () => undefined;
    h.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const requests = [
      h.node.leases.lease('/d/f', 1),
      h.node.leases.lease('/d/f', 1),
      h.node.leases.appendLease('/d/f', undefined),
      h.node.leases.lease('/s/f', 1),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    h.gate = undefined;
    open();
    const grants = await Promise.all(requests);
    const copy = chunkOf(h, '/d/f', 1);
    expect(grants.slice(0, 3).map((grant) => grant.handle)).toEqual([copy, copy, copy]);
    // The snapshot's writer waited for the copy, then found f1 its own.
    expect(grants[3]?.handle).toBe(f1);
    expect(h.copies).toHaveLength(3);
    expect(new Set(h.copies.map((call) => call.body.to))).toEqual(new Set([copy]));
  });

  it('leaves replicas whose copy failed out of the copy, and is UNAVAILABLE when none copies', async () => {
    const h = await harness();
    const { f0, g0 } = await tree(h);
    await h.node.snapshots.snapshot('/d', '/s', 5);
    h.down.add('cs2:1');
    const grant = await h.node.leases.lease('/d/f', 0);
    expect(grant.handle).not.toBe(f0);
    expect(holders(h, grant.handle)).toEqual(['cs1', 'cs3']);

    for (const id of SERVERS) h.down.add(`${id}:1`);
    const chunksBefore = h.node.state.chunks.size;
    expect(await codeOfAsync(h.node.leases.lease('/d/g', 0))).toBe('UNAVAILABLE');
    expect(chunkOf(h, '/d/g', 0)).toBe(g0);
    expect(h.node.state.chunks.size).toBe(chunksBefore);
    expect(h.node.leases.isBusy(g0)).toBe(false);
  });

  it('deleting one side leaves the other whole; the last reference drops the chunk for deletion', async () => {
    const h = await harness();
    const { f0, f1, g0 } = await tree(h);
    await h.node.snapshots.snapshot('/d', '/s', 5);
    const effects = await h.node.commit({ op: 'delete', path: '/d', recursive: true, mtimeMs: 6 });
    expect(effects?.droppedHandles).toEqual([]);
    for (const handle of [f0, f1, g0]) expect(h.node.state.chunks.get(handle)?.refcount).toBe(1);
    expect(holders(h, f1)).toEqual(SERVERS);
    const gone = await h.node.commit({ op: 'delete', path: '/s', recursive: true, mtimeMs: 7 });
    expect(gone?.droppedHandles.sort()).toEqual([f0, f1, g0].sort());
    // Each holder is told to delete them with its next heartbeat reply.
    expect(h.node.registry.takeDeletes('cs2').sort()).toEqual([f0, f1, g0].sort());
  });
});

describe('a restart', () => {
  it('replays the snapshot and the copies: shared chunks stay shared, copies stay private', async () => {
    const h = await harness();
    const { f0, f1, g0 } = await tree(h);
    await h.node.snapshots.snapshot('/d', '/s', 5);
    const copy = (await h.node.leases.lease('/d/f', 1)).handle;
    await h.reopen();
    for (const id of SERVERS) {
      await register(h, id, [
        { handle: f0, version: 2 },
        { handle: f1, version: 2 },
        { handle: g0, version: 2 },
        { handle: copy, version: 3 },
      ]);
    }
    expect(chunkOf(h, '/s/f', 1)).toBe(f1);
    expect(chunkOf(h, '/d/f', 1)).toBe(copy);
    expect(h.node.state.chunks.get(f0)?.refcount).toBe(2);
    h.clear();
    const grant = await h.node.leases.lease('/s/f', 0);
    expect(grant.handle).not.toBe(f0);
    expect(h.copies.map((call) => call.body.from)).toEqual([f0, f0, f0]);
  });
});
