// The chunk's version, stored durably beside the replica: written to a temporary file, fsynced,
// renamed over the old one and the directory fsynced, so a crash leaves the old or the new version,
// never a torn one. The master relies on this before it hands out the new version (GFS §4.5).

import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../../shared/durable-file.js';

export async function writeVersionDurably(dir: string, handle: string, version: number): Promise<void> {
  await writeFileDurably(join(dir, `${handle}.version`), `${version}\n`);
}

/**
 * A new chunk's version file, neither fsynced nor its directory: durable only after syncVersion
 * and a directory sync. A crash before leaves it whole, empty or absent (never another version):
 * the start-up scan treats an empty one as no chunk.
 */
export async function writeVersionUnsynced(dir: string, handle: string, version: number): Promise<void> {
  await writeFile(join(dir, `${handle}.version`), `${version}\n`, { flag: 'wx', mode: 0o644 });
}

/** fsyncs a version file written by writeVersionUnsynced (the caller syncs the directory). */
export async function syncVersion(dir: string, handle: string): Promise<void> {
  const file = await open(join(dir, `${handle}.version`), 'r');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

/** The stored version, or undefined when the file is unreadable or malformed. */
export async function readVersion(dir: string, handle: string): Promise<number | undefined> {
  const text = await readFile(join(dir, `${handle}.version`), 'utf8').catch(() => undefined);
  if (text === undefined || !/^\d{1,15}\n?$/.test(text)) return undefined;
  return Number(text.trim());
}
