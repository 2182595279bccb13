// The chunk's version, stored durably beside the replica: written to a temporary file, fsynced,
// renamed over the old one and the directory fsynced, so a crash leaves the old or the new version,
// never a torn one. The master relies on this before it hands out the new version (GFS §4.5).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../../shared/durable-file.js';

export async function writeVersionDurably(dir: string, handle: string, version: number): Promise<void> {
  await writeFileDurably(join(dir, `${handle}.version`), `${version}\n`);
}

/** The stored version, or undefined when the file is unreadable or malformed. */
export async function readVersion(dir: string, handle: string): Promise<number | undefined> {
  const text = await readFile(join(dir, `${handle}.version`), 'utf8').catch(() => undefined);
  if (text === undefined || !/^\d{1,15}\n?$/.test(text)) return undefined;
  return Number(text.trim());
}
