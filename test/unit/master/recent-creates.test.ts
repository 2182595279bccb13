// The recent creates' ids survive a checkpoint: recovery replays only the log after the newest
// checkpoint, so a create logged before it is recognised on retry only because the checkpoint
// holds its id. The table keeps its bound and its order (oldest first) through the checkpoint
// file, so the same creates are evicted next as if the master had never restarted; a checkpoint
// from before the table was kept loads with an empty one.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../../master/oplog/checkpoint.js';
import { StateLog } from '../../../master/oplog/state-log.js';
import { apply } from '../../../master/state/apply.js';
import { check } from '../../../master/state/check.js';
import { createState } from '../../../master/state/namespace-table.js';
import { createdBy } from '../../../master/state/recent-creates.js';
import { fromSnapshot, toSnapshot } from '../../../master/state/snapshot.js';
import type { CreateRecord, MasterState } from '../../../master/state/types.js';
import { RECENT_CREATES_MAX } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import { createFiles } from './create-files.js';

const CHUNK = 1024 * 1024;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gfs-recent-creates-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(): Promise<StateLog> {
  return StateLog.open({ dataDir: dir, chunkSizeBytes: CHUNK, checkpointEveryRecords: 1_000, logger: silentLogger() });
}

function create(path: string, createId?: string): CreateRecord {
  return {
    op: 'create',
    path,
    overwrite: false,
    replication: 3,
    mode: 0o644,
    mtimeMs: 1,
    ...(createId === undefined ? {} : { createId }),
  };
}

/** A checkpoint's way there and back: written to a file in the current format and read again. */
async function throughCheckpoint(state: MasterState): Promise<MasterState> {
  await writeCheckpoint(dir, 1, toSnapshot(state));
  const snapshot = await readCheckpoint(dir, 1);
  if (snapshot === undefined) throw new Error('the checkpoint does not read back');
  return fromSnapshot(snapshot, { copy: false });
}

describe('recent creates across a checkpoint', () => {
  it('a create retried with its id after a checkpoint and a restart is recognised', async () => {
    const log = await open();
    await log.commit(create('/f', 'attempt-one'));
    await createFiles(log, 0, 20);
    await log.checkpoint();
    await createFiles(log, 20, 30);
    await log.close();

    const reopened = await open();
    try {
      // Recovery started past the create: only the checkpoint can have told it the id.
      expect(reopened.lastCheckpointSeq).toBe(21);
      expect(reopened.seq).toBe(31);
      expect(createdBy(reopened.state, '/f', 'attempt-one')).toMatchObject({ type: 'file', length: 0 });
      expect(createdBy(reopened.state, '/f', 'someone-else')).toBeUndefined();
      expect(() => check(reopened.state, create('/f', 'someone-else'))).toThrow(
        expect.objectContaining({ code: 'ALREADY_EXISTS' }),
      );
    } finally {
      await reopened.close();
    }
  });

  it('keeps its bound and its order: eviction after a restore is what it would have been', async () => {
    const live = createState(CHUNK);
    const extra = 10;
    for (let i = 0; i < RECENT_CREATES_MAX + extra; i++) apply(live, create(`/f${i}`, `create-${i}`));
    // A create of a path already in the table moves it to the newest end.
    apply(live, { op: 'delete', path: '/f10', recursive: false, mtimeMs: 2 });
    apply(live, create('/f10', 'create-again'));
    expect(live.recentCreates.size).toBe(RECENT_CREATES_MAX);

    const restored = await throughCheckpoint(live);
    expect([...restored.recentCreates]).toEqual([...live.recentCreates]);

    for (const state of [live, restored]) {
      for (let i = 0; i < 5; i++) apply(state, create(`/g${i}`, `later-create-${i}`));
    }
    expect([...restored.recentCreates]).toEqual([...live.recentCreates]);
    expect(restored.recentCreates.size).toBe(RECENT_CREATES_MAX);
    expect(restored.recentCreates.keys().next().value).toBe(`/f${extra + 6}`);
    expect(restored.recentCreates.has('/f10')).toBe(true);
    expect(createdBy(restored, '/f10', 'create-again')).toBeDefined();
    expect(createdBy(restored, `/f${extra + 5}`, `create-${extra + 5}`)).toBeUndefined();
  });

  it('a checkpoint from before the table was kept loads with an empty one', async () => {
    const state = createState(CHUNK);
    apply(state, create('/f', 'attempt-one'));
    const { recentCreates: _recent, ...older } = toSnapshot(state);
    const loaded = fromSnapshot(JSON.parse(JSON.stringify(older)));
    expect(loaded.recentCreates.size).toBe(0);
    expect(loaded.entries.get('/f')?.type).toBe('file');
  });
});

describe('a create id names the file its create made, not the path', () => {
  it('is forgotten once that file leaves the path: deleted, replaced by a create without an id, renamed over or away', () => {
    const state = createState(CHUNK);
    const lands = (path: string, createId: string) => createdBy(state, path, createId) !== undefined;

    apply(state, create('/deleted', 'id-deleted'));
    apply(state, { op: 'delete', path: '/deleted', recursive: false, mtimeMs: 2 });
    apply(state, create('/deleted'));
    expect(lands('/deleted', 'id-deleted')).toBe(false);

    apply(state, create('/replaced', 'id-replaced'));
    apply(state, { ...create('/replaced'), overwrite: true });
    expect(lands('/replaced', 'id-replaced')).toBe(false);

    apply(state, create('/target', 'id-target'));
    apply(state, create('/other'));
    apply(state, { op: 'rename', from: '/other', to: '/target', mtimeMs: 2 });
    expect(lands('/target', 'id-target')).toBe(false);

    apply(state, create('/moved', 'id-moved'));
    apply(state, { op: 'rename', from: '/moved', to: '/elsewhere', mtimeMs: 2 });
    apply(state, create('/elsewhere-two'));
    apply(state, { op: 'rename', from: '/elsewhere-two', to: '/moved', mtimeMs: 2 });
    expect(lands('/moved', 'id-moved')).toBe(false);

    // Writes to the file keep it the same file: its id still holds.
    apply(state, create('/kept', 'id-kept'));
    apply(state, { op: 'chmod', path: '/kept', mode: 0o600 });
    expect(lands('/kept', 'id-kept')).toBe(true);
  });
});
