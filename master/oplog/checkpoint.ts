// Checkpoints: the whole state at a sequence number, in `checkpoint-<seq>.json` (one header line
// with the body's length and CRC32C, then the JSON body). Written to a temp file, fsynced, renamed
// into place and the directory fsynced, so a crash leaves either the old or the new checkpoint.

import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32cOf } from '../../shared/checksum.js';
import { writeFileDurably } from '../../shared/durable-file.js';
import type { StateSnapshot } from '../state/snapshot.js';

const NAME_PATTERN = /^checkpoint-(\d+)\.json$/;
const FORMAT = 1;

interface Header {
  format: number;
  seq: number;
  bytes: number;
  crc32c: number;
}

export function checkpointName(seq: number): string {
  return `checkpoint-${seq}.json`;
}

/** Serialises the snapshot now (synchronously), so later mutations cannot leak into it. */
export function encodeCheckpoint(seq: number, snapshot: StateSnapshot): Buffer {
  const body = Buffer.from(JSON.stringify(snapshot));
  const header: Header = { format: FORMAT, seq, bytes: body.length, crc32c: crc32cOf(body) };
  return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]);
}

export async function writeCheckpoint(dataDir: string, seq: number, encoded: Buffer): Promise<string> {
  const finalPath = join(dataDir, checkpointName(seq));
  await writeFileDurably(finalPath, encoded);
  return finalPath;
}

/** Sequence numbers of the checkpoints in the dir, newest first. */
export async function listCheckpoints(dataDir: string): Promise<number[]> {
  const names = await readdir(dataDir);
  const seqs: number[] = [];
  for (const name of names) {
    const match = NAME_PATTERN.exec(name);
    if (match) seqs.push(Number(match[1]));
  }
  return seqs.sort((a, b) => b - a);
}

/** Reads and verifies one checkpoint; undefined when it is damaged. */
export async function readCheckpoint(dataDir: string, seq: number): Promise<StateSnapshot | undefined> {
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
  if (header.format !== FORMAT || header.seq !== seq || header.bytes !== body.length) return undefined;
  if (crc32cOf(body) !== header.crc32c) return undefined;
  return JSON.parse(body.toString()) as StateSnapshot;
}

/** The newest checkpoint that verifies, or undefined when there is none. */
export async function loadNewestCheckpoint(
  dataDir: string,
): Promise<{ seq: number; snapshot: StateSnapshot; damaged: number[] } | undefined> {
  const damaged: number[] = [];
  for (const seq of await listCheckpoints(dataDir)) {
    const snapshot = await readCheckpoint(dataDir, seq);
    if (snapshot !== undefined) return { seq, snapshot, damaged };
    damaged.push(seq);
  }
  return undefined;
}

/** Removes checkpoints older than `keepSeq` and leftover temp files. */
export async function pruneCheckpoints(dataDir: string, keepSeq: number): Promise<void> {
  for (const seq of await listCheckpoints(dataDir)) {
    if (seq < keepSeq) await rm(join(dataDir, checkpointName(seq)), { force: true });
  }
  for (const name of await readdir(dataDir)) {
    if (name.startsWith('checkpoint-') && name.endsWith('.tmp') && name !== `${checkpointName(keepSeq)}.tmp`) {
      await rm(join(dataDir, name), { force: true });
    }
  }
}
