// Checkpoints: the whole state at a sequence number, in `checkpoint-<seq>.json`. One header line
// holds the body's length and CRC32C; a damaged file (torn, truncated, bad CRC) fails them and is
// skipped. Written to `<name>.tmp`, fsynced, renamed into place and the directory fsynced, so a
// crash leaves the old checkpoints and at worst a `.tmp`, which is never read and is removed.
//
// Format 2 (written now): the header is padded to HEADER_BYTES and written last, over a
// placeholder, so the body can be streamed out batch by batch without ever being one string
// (V8 caps a string at ~512 MiB: ~3 M files). The body is lines of JSON: first the snapshot's
// scalar fields, then `{"<field>":[item, ...]}` lines of at most BATCH_ITEMS items of its array
// fields (entries parents first, chunks, trash, recentCreates, delegations), concatenated again on load. Every
// field of StateSnapshot travels this way, including ones added later; an optional field that an
// older checkpoint lacks loads as absent, so adding one needs no new format number.
// Format 1 (read only): the header line, then the whole snapshot as one JSON body.

import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32cOf } from '../../shared/checksum.js';
import { syncDirectory } from '../../shared/durable-file.js';
import type { StateSnapshot } from '../state/snapshot.js';

const NAME_PATTERN = /^checkpoint-(\d+)\.json$/;
const TEMP_PATTERN = /^checkpoint-\d+\.json\.tmp$/;
const FORMAT = 2;
const FORMATS_READ = [1, 2];
/** Room for the header JSON with 20-digit numbers, padded with spaces, plus its newline. */
const HEADER_BYTES = 128;
/** Items per body line: bounds one JSON.parse on load and one write while streaming out. */
export const BATCH_ITEMS = 1_000;
/** Body bytes gathered before one write to the file. */
const WRITE_BYTES = 1024 * 1024;

interface Header {
  format: number;
  seq: number;
  bytes: number;
  crc32c: number;
}

export interface CheckpointWriteOptions {
  /**
   * Test-only (GFS_TEST_CHECKPOINT_BATCH_DELAY_MS): pause after every body write, so a test can
   * kill the master while a checkpoint is half written. Never set in production.
   */
  batchDelayMs?: number;
}

export function checkpointName(seq: number): string {
  return `checkpoint-${seq}.json`;
}

/** The body lines of a snapshot (format 2), each ending in a newline. */
export function* checkpointBodyLines(snapshot: StateSnapshot): Generator<string> {
  const scalars: Record<string, unknown> = {};
  const arrays: Array<[string, unknown[]]> = [];
  for (const [field, value] of Object.entries(snapshot)) {
    if (Array.isArray(value)) arrays.push([field, value]);
    else if (value !== undefined) scalars[field] = value;
  }
  yield `${JSON.stringify(scalars)}\n`;
  for (const [field, items] of arrays) {
    for (let start = 0; start < items.length; start += BATCH_ITEMS) {
      yield `${JSON.stringify({ [field]: items.slice(start, start + BATCH_ITEMS) })}\n`;
    }
  }
}

/** Streams the snapshot into `checkpoint-<seq>.json` durably; returns the file's size in bytes. */
export async function writeCheckpoint(
  dataDir: string,
  seq: number,
  snapshot: StateSnapshot,
  options: CheckpointWriteOptions = {},
): Promise<number> {
  const finalPath = join(dataDir, checkpointName(seq));
  const temporary = `${finalPath}.tmp`;
  const file = await open(temporary, 'w', 0o644);
  let position = HEADER_BYTES;
  try {
    let crc32c = 0;
    let pending: string[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const piece = Buffer.from(pending.join(''));
      pending = [];
      pendingBytes = 0;
      crc32c = crc32cOf(piece, crc32c);
      await file.write(piece, 0, piece.length, position);
      position += piece.length;
      if (options.batchDelayMs) await sleep(options.batchDelayMs);
    };
    for (const line of checkpointBodyLines(snapshot)) {
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= WRITE_BYTES || options.batchDelayMs) await flush();
    }
    if (pending.length > 0) await flush();
    const header = encodeHeader({ format: FORMAT, seq, bytes: position - HEADER_BYTES, crc32c });
    await file.write(header, 0, header.length, 0);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, finalPath);
  await syncDirectory(dataDir);
  return position;
}

function encodeHeader(header: Header): Buffer {
  const text = JSON.stringify(header);
  if (text.length >= HEADER_BYTES) throw new Error(`checkpoint header too long: ${text}`);
  return Buffer.from(`${text.padEnd(HEADER_BYTES - 1)}\n`);
}

/** Sequence numbers of the checkpoints in the dir, newest first. */
export async function listCheckpoints(dataDir: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const name of await readdir(dataDir)) {
    const match = NAME_PATTERN.exec(name);
    if (match) seqs.push(Number(match[1]));
  }
  return seqs.sort((a, b) => b - a);
}

/** The body of a checkpoint whose header, length and CRC check out; undefined when damaged. */
async function verifiedBody(dataDir: string, seq: number): Promise<{ header: Header; body: Buffer } | undefined> {
  const data = await readFile(join(dataDir, checkpointName(seq)));
  const newline = data.indexOf(10);
  if (newline < 0) return undefined;
  let header: Header;
  try {
    header = JSON.parse(data.subarray(0, newline).toString()) as Header;
  } catch {
    return undefined;
  }
  const body = data.subarray(newline + 1);
  if (!FORMATS_READ.includes(header.format) || header.seq !== seq || header.bytes !== body.length) return undefined;
  if (crc32cOf(body) !== header.crc32c) return undefined;
  return { header, body };
}

/** Whether the checkpoint verifies (length and CRC), without decoding it. */
export async function isCheckpointValid(dataDir: string, seq: number): Promise<boolean> {
  return (await verifiedBody(dataDir, seq)) !== undefined;
}

/** Reads and verifies one checkpoint; undefined when it is damaged. */
export async function readCheckpoint(dataDir: string, seq: number): Promise<StateSnapshot | undefined> {
  const verified = await verifiedBody(dataDir, seq);
  if (verified === undefined) return undefined;
  const { header, body } = verified;
  try {
    return header.format === 1 ? (JSON.parse(body.toString()) as StateSnapshot) : decodeBodyLines(body);
  } catch {
    // A CRC-valid body that does not parse was written by a broken build: damaged all the same.
    return undefined;
  }
}

function decodeBodyLines(body: Buffer): StateSnapshot {
  let snapshot: Record<string, unknown> | undefined;
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(10, start);
    if (end < 0) end = body.length;
    const line = JSON.parse(body.toString('utf8', start, end)) as Record<string, unknown>;
    start = end + 1;
    if (snapshot === undefined) {
      snapshot = line;
      continue;
    }
    for (const [field, items] of Object.entries(line)) {
      let gathered = snapshot[field] as unknown[] | undefined;
      if (gathered === undefined) {
        gathered = [];
        snapshot[field] = gathered;
      }
      for (const item of items as unknown[]) gathered.push(item);
    }
  }
  if (snapshot === undefined) throw new Error('empty checkpoint body');
  // Array fields with no items have no line: they load as empty.
  snapshot.entries ??= [];
  snapshot.chunks ??= [];
  return snapshot as unknown as StateSnapshot;
}

/**
 * The newest checkpoint that verifies with a sequence number up to `maxSeq` (undefined when there
 * is none), and the newer ones that failed verification and were skipped on the way.
 */
export async function loadNewestCheckpoint(
  dataDir: string,
  maxSeq = Number.POSITIVE_INFINITY,
): Promise<{ newest: { seq: number; snapshot: StateSnapshot } | undefined; damaged: number[] }> {
  const damaged: number[] = [];
  for (const seq of await listCheckpoints(dataDir)) {
    if (seq > maxSeq) continue;
    const snapshot = await readCheckpoint(dataDir, seq);
    if (snapshot !== undefined) return { newest: { seq, snapshot }, damaged };
    damaged.push(seq);
  }
  return { newest: undefined, damaged };
}

/** Names of checkpoint temp files: checkpoints whose writer died before renaming them. */
export async function listTempCheckpoints(dataDir: string): Promise<string[]> {
  return (await readdir(dataDir)).filter((name) => TEMP_PATTERN.test(name));
}

/** Removes every checkpoint not in `keep` and every temp file; returns the names removed. */
export async function pruneCheckpoints(dataDir: string, keep: readonly number[]): Promise<string[]> {
  const removed: string[] = [];
  for (const seq of await listCheckpoints(dataDir)) {
    if (!keep.includes(seq)) removed.push(checkpointName(seq));
  }
  removed.push(...(await listTempCheckpoints(dataDir)));
  for (const name of removed) await rm(join(dataDir, name), { force: true });
  return removed;
}
