// A multer storage engine that streams each uploaded file part straight into gfs (through a
// temporary name, atomic-write.ts): nothing is buffered whole in memory or spooled to local disk,
// and busboy's part stream is paused while gfs is behind (backpressure), so a 2 GiB upload costs
// the gateway a few pieces of memory.

import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { GfsClient } from '../client/sdk/client.js';
import { GfsError } from '../shared/errors.js';
import { joinPath, normalizePath } from '../shared/paths.js';
import { writeAtomically } from './atomic-write.js';

export interface GfsStorageOptions {
  client: GfsClient;
  /** The cluster directory this request's files go into. */
  directoryOf: (req: Request) => string;
  overwriteOf: (req: Request) => boolean;
}

export class GfsStorage implements StorageEngine {
  constructor(private readonly options: GfsStorageOptions) {}

  _handleFile(
    req: Request,
    file: Express.Multer.File,
    callback: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    const { client, directoryOf, overwriteOf } = this.options;
    let path: string;
    try {
      path = targetPath(directoryOf(req), file.originalname);
    } catch (error) {
      file.stream.resume();
      callback(error);
      return;
    }
    writeAtomically(client, path, file.stream, { overwrite: overwriteOf(req) }).then(
      (size) => callback(null, { path, size }),
      (error: unknown) => {
        // Drain what is left of the part so the rest of the request can still be parsed.
        file.stream.resume();
        callback(error);
      },
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, callback: (error: Error | null) => void): void {
    this.options.client.rm(file.path).then(
      () => callback(null),
      (error: unknown) => callback(error as Error),
    );
  }
}

/** The file's cluster path: its own name (never a path the browser sends) in `directory`. */
function targetPath(directory: string, originalName: string): string {
  const name = originalName.split(/[\\/]/).at(-1) ?? '';
  if (name === '' || name === '.' || name === '..') {
    throw new GfsError('INVALID_PATH', 'uploaded file has no usable name', originalName);
  }
  return normalizePath(joinPath(directory, name));
}
