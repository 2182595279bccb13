// The operation log: records survive close/reopen, checkpoints trim the log and recovery replays
// what came after, and a mutation resolves only once its record is durable.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDataDir } from '../../../master/oplog/data-dir.js';
import { OPLOG_FILE, OpLog } from '../../../master/oplog/op-log.js';
import { StateLog } from '../../../master/oplog/state-log.js';
import { toSnapshot } from '../../../master/state/snapshot.js';
import { GfsError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { createFiles } from './create-files.js';

const CHUNK = 1024 * 1024;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gfs-oplog-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(checkpointEveryRecords?: number): Promise<StateLog> {
  return StateLog.open({ dataDir: dir, chunkSizeBytes: CHUNK, checkpointEveryRecords, logger: silentLogger() });
}

async function checkpointFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('checkpoint-')).sort();
}

describe('op log', () => {
  it('reads records written in the earlier encoding (msgpackr records) beside new ones', async () => {
    const before = [
      { op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 1 },
      { op: 'create', path: '/d/f', overwrite: false, replication: 3, mode: 0o644, mtimeMs: 2 },
    ] as const;
    // What an OpLog opened with lmdb-js's default msgpack encoder wrote before the change.
    const earlier = openLmdb({ path: join(dir, OPLOG_FILE), encoding: 'msgpack', cache: false });
    await earlier.put(1, before[0]);
    await earlier.put(2, before[1]);
    await earlier.close();
    const log = new OpLog(dir);
    await log.append(3, { op: 'extend', path: '/d/f', length: 10, mtimeMs: 3 });
    const records = [...log.recordsAfter(0)].map((entry) => entry.record);
    await log.close();
    expect(records).toEqual([...before, { op: 'extend', path: '/d/f', length: 10, mtimeMs: 3 }]);
  });

  it('tells its observer the commit latency of each record and the size of each group commit', async () => {
    const latencies: number[] = [];
    const batches: number[] = [];
    const log = new OpLog(dir, {
      observer: { recordCommitted: (seconds) => latencies.push(seconds), batchCommitted: (n) => batches.push(n) },
    });
    const record = (seq: number) =>
      ({ op: 'mkdir', path: `/d${seq}`, parents: false, mode: 0o755, mtimeMs: seq }) as const;
    // Ten appends in one turn share a transaction; one appended after they are durable is alone.
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(i + 1, record(i + 1))));
    await log.append(11, record(11));
    await log.close();
    expect(batches).toEqual([10, 1]);
    expect(latencies).toHaveLength(11);
    for (const seconds of latencies) expect(seconds).toBeGreaterThan(0);
  });

  it('reopening replays every record into the same state', async () => {
    const log = await open();
    await log.commit({ op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 1 });
    await createFiles(log, 0, 50);
    await log.commit({ op: 'rename', from: '/f1', to: '/d/g', mtimeMs: 2 });
    await log.commit({ op: 'delete', path: '/f2', recursive: false, mtimeMs: 3 });
    const before = toSnapshot(log.state);
    const seq = log.seq;
    await log.close();

    const reopened = await open();
    expect(reopened.seq).toBe(seq);
    expect(toSnapshot(reopened.state)).toEqual(before);
    expect(reopened.state.children.get('/d')).toEqual(new Set(['g']));
    await reopened.close();
  });

  it('a refused record is not logged and leaves the sequence alone', async () => {
    const log = await open();
    await log.commit({ op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 1 });
    await expect(log.commit({ op: 'mkdir', path: '/d', parents: false, mode: 0o755, mtimeMs: 2 })).rejects.toThrow(
      GfsError,
    );
    expect(await log.commit({ op: 'mkdir', path: '/d', parents: true, mode: 0o755, mtimeMs: 2 })).toBeUndefined();
    expect(log.seq).toBe(1);
    await log.close();
  });

  it('checkpoints trim the log up to the previous one; recovery = checkpoint + replay after it', async () => {
    const log = await open(100);
    await createFiles(log, 0, 150);
    await log.checkpoint();
    await createFiles(log, 150, 180);
    const before = toSnapshot(log.state);
    await log.close();

    // The automatic one at 100 and the one at 150 are kept; the log is trimmed through 100 only,
    // so a damaged checkpoint-150 would still fall back to checkpoint-100 and a longer replay.
    expect(await checkpointFiles()).toEqual(['checkpoint-100.json', 'checkpoint-150.json']);
    const oplog = new OpLog(dir);
    expect(oplog.bounds()).toEqual({ first: 101, last: 180 });
    await oplog.close();

    const reopened = await open(100);
    expect(reopened.seq).toBe(180);
    expect(toSnapshot(reopened.state)).toEqual(before);
    await createFiles(reopened, 180, 300);
    const after = toSnapshot(reopened.state);
    await reopened.close();
    const again = await open(100);
    expect(toSnapshot(again.state)).toEqual(after);
    expect(again.state.fileCount).toBe(300);
    await again.close();
  });

  it('writes checkpoints by itself every N records', async () => {
    const log = await open(100);
    await createFiles(log, 0, 120);
    await log.close();
    expect(await checkpointFiles()).toEqual(['checkpoint-100.json']);
    const reopened = await open(100);
    expect(reopened.state.fileCount).toBe(120);
    await reopened.close();
  });

  it('a damaged checkpoint is skipped', async () => {
    const log = await open();
    await createFiles(log, 0, 10);
    await log.close();
    await writeFile(join(dir, 'checkpoint-99.json'), '{"format":1,"seq":99,"bytes":2,"crc32c":1}\n{}');
    const reopened = await open();
    expect(reopened.state.fileCount).toBe(10);
    await reopened.close();
  });

  it('a mutation resolves only after its record is durable in the log', async () => {
    const log = await open();
    await log.commit({ op: 'mkdir', path: '/a', parents: false, mode: 0o755, mtimeMs: 1 });
    // Read the log file from a second handle: a resolved commit must be there.
    const reader = new OpLog(dir);
    expect([...reader.recordsAfter(0)].map((entry) => entry.seq)).toEqual([1]);
    await reader.close();
    expect(log.readBarrier()).toBeUndefined();
    const pending = log.commit({ op: 'mkdir', path: '/b', parents: false, mode: 0o755, mtimeMs: 2 });
    expect(log.readBarrier()).toBeInstanceOf(Promise);
    await pending;
    expect(log.readBarrier()).toBeUndefined();
    await log.close();
  });

  it('the chunk size is fixed when the data dir is created', async () => {
    expect(await openDataDir(dir, 2 * CHUNK)).toBe(2 * CHUNK);
    expect(await openDataDir(dir, undefined)).toBe(2 * CHUNK);
    await expect(openDataDir(dir, CHUNK)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', subject: dir });
    await expect(openDataDir(join(dir, 'other'), 1000)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
