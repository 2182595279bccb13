// The chunk's version, stored durably beside the replica: written to a temporary file, fsynced,
// renamed over the old one and the directory fsynced, so a crash leaves the old or the new version,
// never a torn one. The master relies on this before it hands out the new version (GFS §4.5).

import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeVersionDurably(dir: string, handle: string, version: number): Promise<void> {
  const path = join(dir, `${handle}.version`);
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w', 0o644);
  try {
    await file.writeFile(`${version}\n`);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDirectory(dir);
}

/** The stored version, or undefined when the file is unreadable or malformed. */
export async function readVersion(dir: string, handle: string): Promise<number | undefined> {
  const text = await readFile(join(dir, `${handle}.version`), 'utf8').catch(() => undefined);
  if (text === undefined || !/^\d{1,15}\n?$/.test(text)) return undefined;
  return Number(text.trim());
}

export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
