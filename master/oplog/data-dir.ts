// The master's data dir: created on first start with the chunk size, which is fixed from then on
// (every handle's byte range depends on it). A different --chunk-size later is refused.

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../../shared/durable-file.js';
import { GfsError } from '../../shared/errors.js';
import { CHUNK_SIZE_BYTES_DEFAULT, isValidChunkSize } from '../../shared/limits.js';

export const META_FILE = 'master-meta.json';

interface DataDirMeta {
  format: 1;
  chunkSizeBytes: number;
}

/** Creates or opens the data dir; returns the chunk size it was created with. */
export async function openDataDir(dataDir: string, requestedChunkSizeBytes: number | undefined): Promise<number> {
  if (requestedChunkSizeBytes !== undefined && !isValidChunkSize(requestedChunkSizeBytes)) {
    throw new GfsError(
      'INVALID_ARGUMENT',
      `chunk size ${requestedChunkSizeBytes} must be a multiple of 64 KiB between 64 KiB and 1 GiB`,
      dataDir,
    );
  }
  await mkdir(dataDir, { recursive: true });
  const metaPath = join(dataDir, META_FILE);
  let text: string | undefined;
  try {
    text = await readFile(metaPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const meta = JSON.parse(text) as DataDirMeta;
    if (requestedChunkSizeBytes !== undefined && requestedChunkSizeBytes !== meta.chunkSizeBytes) {
      throw new GfsError(
        'INVALID_ARGUMENT',
        `data dir was created with chunk size ${meta.chunkSizeBytes}, not ${requestedChunkSizeBytes}`,
        dataDir,
      );
    }
    return meta.chunkSizeBytes;
  }
  const chunkSizeBytes = requestedChunkSizeBytes ?? CHUNK_SIZE_BYTES_DEFAULT;
  const meta: DataDirMeta = { format: 1, chunkSizeBytes };
  await writeFileDurably(metaPath, JSON.stringify(meta));
  return chunkSizeBytes;
}
