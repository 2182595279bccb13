// The chunkserver's identity lives in its data directory (DIR/id): the same DIR is the same
// chunkserver on any port, so the master recognises its replicas after a restart.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../shared/durable-file.js';
import { GfsError } from '../shared/errors.js';

const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export async function loadOrCreateId(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, 'id');
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing !== undefined) {
    const id = existing.trim();
    if (!ID_PATTERN.test(id)) throw new GfsError('INVALID_ARGUMENT', 'malformed chunkserver id file', path);
    return id;
  }
  const id = `cs-${randomBytes(4).toString('hex')}`;
  await writeFileDurably(path, `${id}\n`);
  return id;
}
