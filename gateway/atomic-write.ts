// Writes a stream to a cluster file through a temporary name beside it, renamed into place only
// once every byte is durable (as `gfs cp` does): a failed or abandoned upload leaves nothing at
// the target, and readers never see a half-written file there.

import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { temporaryName } from '../client/cli/cp-plan.js';
import type { GfsClient } from '../client/sdk/client.js';
import { GfsError } from '../shared/errors.js';
import { baseName, joinPath, parentPath } from '../shared/paths.js';

export interface AtomicWriteOptions {
  /** False: an existing file at the target is ALREADY_EXISTS (checked before and at the rename). */
  overwrite: boolean;
  /** The body's length when the request says it (Content-Length): only a small one reserves a chunk. */
  expectedBytes?: number;
}

/** Streams `source` into `path`; resolves with the bytes written. */
export async function writeAtomically(
  client: GfsClient,
  path: string,
  source: Readable,
  options: AtomicWriteOptions,
): Promise<number> {
  const existing = await client.lookup(path);
  if (existing?.type === 'dir') throw new GfsError('IS_A_DIRECTORY', 'is a directory', path);
  if (existing !== undefined && !options.overwrite) throw new GfsError('ALREADY_EXISTS', 'file exists', path);
  const parent = await client.lookup(parentPath(path));
  if (parent === undefined) throw new GfsError('NOT_FOUND', 'no such directory', parentPath(path));
  if (parent.type !== 'dir') throw new GfsError('NOT_A_DIRECTORY', 'not a directory', parentPath(path));

  const temporary = joinPath(parentPath(path), temporaryName(baseName(path), randomBytes(6).toString('hex')));
  const sink = client.createWriteStream(temporary, { expectedBytes: options.expectedBytes });
  try {
    await pipeline(source, sink);
    if (!options.overwrite && (await client.lookup(path)) !== undefined) {
      throw new GfsError('ALREADY_EXISTS', 'file exists', path);
    }
    await client.rename(temporary, path);
    return sink.bytesWritten;
  } catch (error) {
    await client.rm(temporary).catch(() => undefined);
    throw error;
  }
}
