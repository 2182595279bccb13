// Truncate at the master with an injected clock and fake chunkserver callers: the chunk holding
// the new end is cut (through its primary) BEFORE the new length is logged; a failed cut logs
// nothing; growing and cuts at chunk boundaries need no cut; truncates of one file run one at a
// time; a file replaced during the cut is looked at again. Also statfs's free-space arithmetic.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clusterStats, writableBytes } from '../../../master/chunkservers/capacity.js';
import type { CutBody } from '../../../master/leases/truncate.js';
import { MasterNode } from '../../../master/master-node.js';
import type { FileEntry } from '../../../master/state/types.js';
import { GfsError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { codeOfAsync } from '../../harness/error-code.js';
import { noSnapshotOrders } from './unexpected-orders.js';

const CHUNK = 1024 * 1024;
const GiB = 1024 * 1024 * 1024;

interface Cut {
  address: string;
  body: CutBody;
  /** The file's length in the master's state when the cut was sent. */
  lengthThen: number;
}

const dirs: string[] = [];
const nodes: MasterNode[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function harness(onCut: (cut: Cut) => Promise<void> = async () => undefined) {
  const dataDir = await mkdtemp(join(tmpdir(), 'gfs-truncate-master-'));
  dirs.push(dataDir);
  const now = 1_000_000;
  const cuts: Cut[] = [];
  let node: MasterNode | undefined;
  const lengthOf = (path: string) => (node?.state.entries.get(path) as FileEntry | undefined)?.length ?? -1;
  node = await MasterNode.open({
    ...noSnapshotOrders,
    dataDir,
    chunkSizeBytes: CHUNK,
    replication: 2,
    leaseMs: 60_000,
    deadAfterMs: 10_000,
    trashRetentionMs: 0,
    startupWaitMs: 0,
    clock: () => now,
    grant: async () => undefined,
    cut: async (address, body) => {
      const cut = { address, body, lengthThen: lengthOf('/f') };
      cuts.push(cut);
      await onCut(cut);
    },
    clone: async (address) => {
      throw new GfsError('INTERNAL', 'no clone expected in these tests', address);
    },
    logger: silentLogger(),
  });
  nodes.push(node);
  for (const id of ['cs1', 'cs2']) {
    await node.register({ id, address: `${id}:1`, rack: '', capacityBytes: 10 * GiB, usedBytes: 0 }, []);
  }
  return { node, cuts, lengthOf };
}

/** A file of `chunks` chunks (leased, so allocated) and `length` bytes. */
async function makeFile(node: MasterNode, path: string, chunks: number, length: number): Promise<string[]> {
  await node.commit({ op: 'create', path, overwrite: false, replication: 2, mode: 0o644, mtimeMs: 1 });
  for (let i = 0; i < chunks; i++) await node.leases.lease(path, i);
  await node.commit({ op: 'extend', path, length, mtimeMs: 2 });
  return [...(node.state.entries.get(path) as FileEntry).chunks];
}

describe('truncate at the master', () => {
  it('cuts the chunk holding the new end through its primary before logging the length', async () => {
    const h = await harness();
    const handles = await makeFile(h.node, '/f', 3, 3 * CHUNK - 5);
    await h.node.truncator.truncate('/f', CHUNK + 100);
    expect(h.cuts).toHaveLength(1);
    const [cut] = h.cuts as [Cut];
    expect(cut.body).toMatchObject({ handle: handles[1], offset: 100 });
    expect(cut.body.secondaries).toHaveLength(1);
    expect([cut.address, ...cut.body.secondaries].sort()).toEqual(['cs1:1', 'cs2:1']);
    expect(cut.lengthThen).toBe(3 * CHUNK - 5);
    const file = h.node.state.entries.get('/f') as FileEntry;
    expect(file.length).toBe(CHUNK + 100);
    expect(file.chunks).toEqual(handles.slice(0, 2));
    expect(h.node.state.chunks.has(handles[2] as string)).toBe(false);
    // The released chunk's holders are told to delete it.
    expect(h.node.registry.takeDeletes('cs1')).toEqual([handles[2]]);
  });

  it('logs nothing when the cut fails: length and chunks stay', async () => {
    const h = await harness(async () => {
      throw new GfsError('REPLICA_FAILED', 'secondary failed', 'cs2:1');
    });
    const handles = await makeFile(h.node, '/f', 2, 2 * CHUNK);
    expect(await codeOfAsync(h.node.truncator.truncate('/f', 10))).toBe('REPLICA_FAILED');
    const file = h.node.state.entries.get('/f') as FileEntry;
    expect(file.length).toBe(2 * CHUNK);
    expect(file.chunks).toEqual(handles);
  });

  it('needs no cut to grow, to shrink onto a chunk boundary, or to shrink inside a hole', async () => {
    const h = await harness();
    const handles = await makeFile(h.node, '/f', 2, 2 * CHUNK);
    await h.node.truncator.truncate('/f', 10 * CHUNK + 3);
    expect(h.lengthOf('/f')).toBe(10 * CHUNK + 3);
    await h.node.truncator.truncate('/f', 5 * CHUNK + 3);
    expect(h.lengthOf('/f')).toBe(5 * CHUNK + 3);
    await h.node.truncator.truncate('/f', CHUNK);
    expect((h.node.state.entries.get('/f') as FileEntry).chunks).toEqual(handles.slice(0, 1));
    expect(h.cuts).toEqual([]);
  });

  it('refuses missing paths, directories and bad lengths', async () => {
    const h = await harness();
    await h.node.commit({ op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 1 });
    expect(await codeOfAsync(h.node.truncator.truncate('/nope', 1))).toBe('NOT_FOUND');
    expect(await codeOfAsync(h.node.truncator.truncate('/d', 1))).toBe('IS_A_DIRECTORY');
    await makeFile(h.node, '/f', 0, 0);
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(await codeOfAsync(h.node.truncator.truncate('/f', bad))).toBe('INVALID_ARGUMENT');
    }
  });

  it('runs the truncates of one file one at a time, in arrival order', async () => {
    let inFlight = 0;
    let overlapped = false;
    const h = await harness(async () => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight--;
    });
    await makeFile(h.node, '/f', 1, CHUNK);
    await Promise.all([h.node.truncator.truncate('/f', 500), h.node.truncator.truncate('/f', 100)]);
    expect(overlapped).toBe(false);
    expect(h.cuts.map((cut) => cut.body.offset)).toEqual([500, 100]);
    expect(h.lengthOf('/f')).toBe(100);
  });

  it('looks again when the file was replaced during the cut', async () => {
    let replaced = false;
    const h = await harness(async () => {
      if (replaced) return;
      replaced = true;
      await h.node.commit({ op: 'create', path: '/f', overwrite: true, replication: 2, mode: 0o644, mtimeMs: 3 });
    });
    await makeFile(h.node, '/f', 1, CHUNK);
    await h.node.truncator.truncate('/f', 10);
    // The new, empty file has no chunk to cut: it simply grows to the asked length.
    expect(h.cuts).toHaveLength(1);
    expect(h.lengthOf('/f')).toBe(10);
    expect((h.node.state.entries.get('/f') as FileEntry).chunks).toEqual([]);
  });
});

describe('statfs', () => {
  it('free space is what fits with each byte on `replication` distinct servers', () => {
    expect(writableBytes([], 3)).toBe(0);
    expect(writableBytes([300, 300, 300], 3)).toBe(300);
    // One huge server holds one replica of each byte only.
    expect(writableBytes([1_000_000, 100, 100], 3)).toBe(100);
    expect(writableBytes([1_000_000, 100, 100], 2)).toBe(200);
    // Fewer servers than the replication: new chunks go to all of them.
    expect(writableBytes([500, 200], 3)).toBe(200);
    expect(writableBytes([600, 600, 600, 600], 3)).toBe(800);
    expect(writableBytes([-5, 100], 1)).toBe(100);
  });

  it('counts only live chunkservers', async () => {
    const h = await harness();
    h.node.registry.heartbeat('cs1', 10 * GiB, 4 * GiB);
    h.node.registry.heartbeat('cs2', 8 * GiB, 2 * GiB);
    expect(clusterStats(h.node.registry, 2, 7, 1_000_000)).toEqual({
      capacityBytes: 18 * GiB,
      usedBytes: 6 * GiB,
      freeBytes: 6 * GiB,
      files: 7,
    });
    // Past --dead-after no server is alive any more.
    expect(clusterStats(h.node.registry, 2, 7, 1_000_000 + 10_001)).toEqual({
      capacityBytes: 0,
      usedBytes: 0,
      freeBytes: 0,
      files: 7,
    });
  });
});
