// The trash sweep with an injected clock: entries leave the namespace once their retention,
// counted from the deletion time logged with them, is over — also after a restart from the op
// log or a checkpoint — and the replicas of the chunks they held are queued for deletion on their
// holders (sent in the next heartbeat reply).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TrashSweeper } from '../../../master/gc/trash-sweeper.js';
import { MasterNode } from '../../../master/master-node.js';
import { StateLog } from '../../../master/oplog/state-log.js';
import { apply } from '../../../master/state/apply.js';
import { check } from '../../../master/state/check.js';
import { createState } from '../../../master/state/namespace-table.js';
import type { LogRecord, MasterState } from '../../../master/state/types.js';
import { GfsError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { runScript, trashLines } from './script.js';
import { noSnapshotOrders } from './unexpected-orders.js';

const CHUNK = 1024 * 1024;
const RETENTION_MS = 2_000;

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A sweeper over a bare state whose commit checks and applies, as StateLog does (no disk). */
function sweeperOver(state: MasterState, clock: () => number, limits: { batchMax?: number; batches?: number } = {}) {
  const committed: LogRecord[] = [];
  const sweeper = new TrashSweeper({
    state,
    clock,
    retentionMs: RETENTION_MS,
    logger: silentLogger(),
    ...(limits.batchMax === undefined ? {} : { batchMax: limits.batchMax }),
    ...(limits.batches === undefined ? {} : { batchesPerSweepMax: limits.batches }),
    commit: async (record) => {
      if (!check(state, record)) return undefined;
      committed.push(record);
      return apply(state, record);
    },
  });
  return { sweeper, committed };
}

describe('trash sweep', () => {
  it('purges an entry once its retention from the deletion time is over, not before', async () => {
    const state = createState(CHUNK);
    // Deleted at 1004 and 1005 (a script's time is its line number + 1000).
    runScript(
      state,
      `reserve 10
       create /a
       chunk /a 0 1 1
       create /b
       rm -t /a
       rm -t /b`,
    );
    let now = 1004 + RETENTION_MS - 1;
    const { sweeper, committed } = sweeperOver(state, () => now);
    expect(await sweeper.sweep()).toEqual({ entries: 0, chunks: 0 });
    expect(committed).toEqual([]);
    now = 1004 + RETENTION_MS;
    expect(await sweeper.sweep()).toEqual({ entries: 1, chunks: 1 });
    expect(committed).toEqual([{ op: 'purge', names: ['1004-1'] }]);
    expect(trashLines(state)).toEqual(['1005-2 /b 1005']);
    expect(state.chunks.size).toBe(0);
    now += 1;
    expect(await sweeper.sweep()).toEqual({ entries: 1, chunks: 0 });
    expect(state.trash.size).toBe(0);
    expect([sweeper.entriesPurged, sweeper.chunksDropped]).toEqual([2, 1]);
  });

  it('purges in bounded records and leaves the rest for the next sweep', async () => {
    const state = createState(CHUNK);
    runScript(state, ['create /a', 'create /b', 'create /c', 'create /d', 'create /e'].join('\n'));
    runScript(state, ['rm -t /a', 'rm -t /b', 'rm -t /c', 'rm -t /d', 'rm -t /e'].join('\n'));
    const { sweeper, committed } = sweeperOver(state, () => 1_000_000, { batchMax: 2, batches: 2 });
    // Two sweeps at once share one.
    const [first, again] = [sweeper.sweep(), sweeper.sweep()];
    expect(first).toBe(again);
    expect(await first).toEqual({ entries: 4, chunks: 0 });
    expect(committed.map((record) => (record.op === 'purge' ? record.names.length : 0))).toEqual([2, 2]);
    expect(await sweeper.sweep()).toEqual({ entries: 1, chunks: 0 });
    expect(state.trash.size).toBe(0);
  });
});

describe('the trash across a master restart', () => {
  async function openLog(dataDir: string, checkpointEveryRecords?: number): Promise<StateLog> {
    const log = await StateLog.open({ dataDir, chunkSizeBytes: CHUNK, checkpointEveryRecords, logger: silentLogger() });
    closers.push(() => log.close());
    return log;
  }

  for (const [how, checkpointEvery] of [
    ['the op log', undefined],
    ['a checkpoint', 3],
  ] as const) {
    it(`is recovered from ${how}, and swept by deletion time after the restart`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'gfs-trash-'));
      dirs.push(dataDir);
      const before = await openLog(dataDir, checkpointEvery);
      for (const record of [
        { op: 'reserveHandles', nextHandle: '10' },
        { op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 1 },
        { op: 'create', path: '/d/f', overwrite: false, replication: 3, mode: 0o644, mtimeMs: 2 },
        { op: 'addChunk', path: '/d/f', index: 0, handle: '1', version: 1 },
        { op: 'delete', path: '/d', recursive: true, mtimeMs: 5_000, trash: true },
      ] satisfies LogRecord[]) {
        await before.commit(record);
      }
      if (checkpointEvery !== undefined) await before.checkpoint();
      await before.close();
      closers.splice(0);

      const after = await openLog(dataDir);
      expect(trashLines(after.state)).toEqual(['5000-1 /d 5000']);
      expect(after.state.trashFileCount).toBe(1);
      expect(after.state.chunks.get('1')).toEqual({ version: 1, refcount: 1 });
      // The retention counts from the logged deletion time, not from the restart: at deletion +
      // retention the first sweep after the restart purges it.
      let now = 5_000 + RETENTION_MS - 1;
      const sweeper = new TrashSweeper({
        state: after.state,
        commit: (record) => after.commit(record),
        clock: () => now,
        retentionMs: RETENTION_MS,
        logger: silentLogger(),
      });
      expect((await sweeper.sweep()).entries).toBe(0);
      now += 1;
      expect(await sweeper.sweep()).toEqual({ entries: 1, chunks: 1 });
      await after.close();
      closers.splice(0);
      // The purge is logged too.
      const again = await openLog(dataDir);
      expect(again.state.trash.size).toBe(0);
      expect(again.state.chunks.size).toBe(0);
    });
  }
});

describe('garbage collection in the master node', () => {
  it('queues the purged chunks’ replicas for deletion on every holder', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'gfs-gc-'));
    dirs.push(dataDir);
    let now = 1_000_000;
    const node = await MasterNode.open({
      ...noSnapshotOrders,
      dataDir,
      chunkSizeBytes: CHUNK,
      replication: 2,
      leaseMs: 60_000,
      deadAfterMs: 10_000,
      trashRetentionMs: RETENTION_MS,
      startupWaitMs: 0,
      clock: () => now,
      grant: async () => undefined,
      cut: async (address) => {
        throw new GfsError('INTERNAL', 'no cut expected', address);
      },
      clone: async (address) => {
        throw new GfsError('INTERNAL', 'no clone expected', address);
      },
      logger: silentLogger(),
    });
    closers.push(() => node.close());
    await node.commit({ op: 'reserveHandles', nextHandle: '100' });
    await node.commit({ op: 'create', path: '/f', overwrite: false, replication: 2, mode: 0o644, mtimeMs: now });
    await node.commit({ op: 'addChunk', path: '/f', index: 0, handle: '7', version: 1 });
    for (const id of ['cs1', 'cs2', 'cs3']) {
      await node.register(
        { id, address: `${id}:1`, rack: '', capacityBytes: 1e12, usedBytes: 0 },
        id === 'cs3' ? [] : [{ handle: '7', version: 1, size: CHUNK }],
      );
    }
    expect(node.usesTrash).toBe(true);
    await node.commit({ op: 'delete', path: '/f', recursive: false, mtimeMs: now, trash: node.usesTrash });
    // In the trash: the replicas stay.
    expect(node.registry.liveHolderCount('7')).toBe(2);
    expect(node.registry.takeDeletes('cs1')).toEqual([]);
    now += RETENTION_MS;
    expect(await node.sweeper.sweep()).toEqual({ entries: 1, chunks: 1 });
    expect(node.registry.takeDeletes('cs1')).toEqual(['7']);
    expect(node.registry.takeDeletes('cs2')).toEqual(['7']);
    expect(node.registry.takeDeletes('cs3')).toEqual([]);
    // A holder that reports it later (it was away) is told to delete it as an orphan, in the
    // reply to its registration.
    const deletes = await node.register({ id: 'cs3', address: 'cs3:1', rack: '', capacityBytes: 1e12, usedBytes: 0 }, [
      { handle: '7', version: 1, size: CHUNK },
    ]);
    expect(deletes).toEqual(['7']);
  });
});
