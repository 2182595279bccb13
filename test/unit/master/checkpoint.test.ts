// Checkpoint files: a damaged newest checkpoint (torn, truncated, bad CRC) is skipped with a
// warning and recovery falls back to the previous one and a longer replay; an unfinished temp file
// is removed; format-1 checkpoints written by earlier versions still load; and when no valid
// checkpoint covers a trimmed log, the master refuses to start rather than lose state.

import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointName, listCheckpoints } from '../../../master/oplog/checkpoint.js';
import { StateLog } from '../../../master/oplog/state-log.js';
import { toSnapshot } from '../../../master/state/snapshot.js';
import { crc32cOf } from '../../../shared/checksum.js';
import { createFiles } from './create-files.js';

const CHUNK = 1024 * 1024;
let dir: string;
let warnings: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gfs-checkpoint-'));
  warnings = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(checkpointEveryRecords = 100): Promise<StateLog> {
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => warnings.push((JSON.parse(line) as { msg: string }).msg) },
  );
  return StateLog.open({ dataDir: dir, chunkSizeBytes: CHUNK, checkpointEveryRecords, logger });
}

/** 180 records, checkpoints at 100 (automatic) and 150; returns the state's snapshot. */
async function twoCheckpoints() {
  const log = await open();
  await createFiles(log, 0, 150);
  await log.checkpoint();
  await createFiles(log, 150, 180);
  await log.commit({ op: 'delete', path: '/f3', recursive: false, mtimeMs: 9, trash: true });
  const before = toSnapshot(log.state);
  await log.close();
  expect(await listCheckpoints(dir)).toEqual([150, 100]);
  return before;
}

const damages: Array<[string, (path: string) => Promise<void>]> = [
  ['truncated to half (a torn copy)', async (path) => truncate(path, Math.floor((await readFile(path)).length / 2))],
  [
    'a flipped byte in the body (bad CRC)',
    async (path) => {
      const data = await readFile(path);
      const at = data.length - 10;
      data[at] = (data[at] ?? 0) ^ 0xff;
      await writeFile(path, data);
    },
  ],
  [
    'a header never written (blank placeholder)',
    async (path) => {
      const data = await readFile(path);
      data.fill(0x20, 0, data.indexOf(10));
      await writeFile(path, data);
    },
  ],
  ['empty', async (path) => truncate(path, 0)],
];

describe('checkpoint files', () => {
  for (const [what, damage] of damages) {
    it(`a newest checkpoint ${what} is skipped: previous checkpoint + longer replay`, async () => {
      const before = await twoCheckpoints();
      await damage(join(dir, checkpointName(150)));

      const reopened = await open();
      expect(reopened.seq).toBe(181);
      expect(toSnapshot(reopened.state)).toEqual(before);
      expect(warnings.join('\n')).toMatch(/damaged checkpoints skipped seqs=150 using=100/);
      await reopened.close();
    });
  }

  it('the next checkpoint after a fallback replaces the damaged one', async () => {
    const before = await twoCheckpoints();
    await truncate(join(dir, checkpointName(150)), 100);
    const reopened = await open();
    await reopened.checkpoint();
    await reopened.close();
    expect(await listCheckpoints(dir)).toEqual([181, 100]);
    const again = await open();
    expect(toSnapshot(again.state)).toEqual(before);
    expect(warnings).toHaveLength(1);
    await again.close();
  });

  it('an unfinished temp file is removed at start and never read', async () => {
    const before = await twoCheckpoints();
    await writeFile(join(dir, `${checkpointName(200)}.tmp`), '{"format":2,"seq":200');
    const reopened = await open();
    expect(toSnapshot(reopened.state)).toEqual(before);
    expect(warnings.join('\n')).toMatch(/unfinished checkpoint removed file=checkpoint-200\.json\.tmp/);
    await reopened.close();
    await expect(readFile(join(dir, `${checkpointName(200)}.tmp`))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('format-1 checkpoints (one JSON body) still load', async () => {
    const log = await open(1_000);
    await createFiles(log, 0, 50);
    const at50 = toSnapshot(log.state);
    await createFiles(log, 50, 60);
    const before = toSnapshot(log.state);
    await log.close();
    const body = Buffer.from(JSON.stringify(at50));
    const header = { format: 1, seq: 50, bytes: body.length, crc32c: crc32cOf(body) };
    await writeFile(join(dir, checkpointName(50)), Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]));

    const reopened = await open(1_000);
    expect(reopened.seq).toBe(60);
    expect(toSnapshot(reopened.state)).toEqual(before);
    // The next checkpoint starts from the format-1 one and is written in the current format.
    await reopened.checkpoint();
    await reopened.close();
    expect((await readFile(join(dir, checkpointName(60)))).toString()).toMatch(/^\{"format":2,/);
    const again = await open(1_000);
    expect(toSnapshot(again.state)).toEqual(before);
    await again.close();
  });

  it('with every checkpoint damaged and the log trimmed, the master refuses to start', async () => {
    const log = await open();
    await createFiles(log, 0, 150);
    await log.checkpoint();
    await createFiles(log, 150, 250);
    await log.checkpoint();
    await log.close();
    expect(await listCheckpoints(dir)).toEqual([250, 150]);
    for (const seq of [250, 150]) await truncate(join(dir, checkpointName(seq)), 10);
    await expect(open()).rejects.toMatchObject({ code: 'INTERNAL', message: /op log gap/ });
  });
});
