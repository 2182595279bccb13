// The copying behind `gfs cp`: files through a temporary name beside the destination, renamed
// into place only once complete (a failed copy leaves nothing at the destination), and whole
// directory trees built under a temporary name the same way, or merged into an existing one.

import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GfsError } from '../../shared/errors.js';
import { temporaryName } from './cp-plan.js';
import type { Progress } from './progress.js';
import { localError, type Store } from './stores.js';

export interface Side {
  store: Store;
  path: string;
}

export class Copier {
  constructor(private readonly progress: Progress) {}

  /** Copies a file or tree from `from` to exactly `to` (whose parent exists). */
  async copy(from: Side, to: Side, type: 'file' | 'dir', sizeBytes: number): Promise<void> {
    if (type === 'file') await this.copyFileAtomically(from, to, sizeBytes);
    else await this.copyTree(from, to);
  }

  /** Streams `from` (or stdin) to stdout. */
  async toStdout(source: Readable, sizeBytes: number): Promise<void> {
    this.progress.addTotal(sizeBytes);
    await pipeline(source, this.progress.counter(), process.stdout, { end: false });
  }

  /** Streams `source` (stdin) into `to` through a temporary name. */
  async fromStream(source: Readable, to: Side): Promise<void> {
    await this.throughTemporary(to, async (temporary) => {
      await this.stream(source, to.store.write(temporary), to.path);
    });
  }

  private async copyFileAtomically(from: Side, to: Side, sizeBytes: number): Promise<void> {
    this.progress.addTotal(sizeBytes);
    await this.throughTemporary(to, async (temporary) => {
      await this.stream(from.store.read(from.path), to.store.write(temporary), from.path);
    });
  }

  private async copyTree(from: Side, to: Side): Promise<void> {
    const existing = await to.store.stat(to.path);
    if (existing?.type === 'file') {
      throw new GfsError('NOT_A_DIRECTORY', 'cannot overwrite non-directory with directory', to.path);
    }
    if (existing?.type === 'dir') {
      // Merge into the existing directory, each entry atomically on its own.
      for (const name of await from.store.list(from.path)) {
        const child = { store: from.store, path: from.store.join(from.path, name) };
        const info = await from.store.stat(child.path);
        if (info === undefined) continue;
        await this.copy(child, { store: to.store, path: to.store.join(to.path, name) }, info.type, info.sizeBytes);
      }
      return;
    }
    await this.throughTemporary(to, async (temporary) => {
      await to.store.mkdir(temporary);
      await this.fillTree(from, { store: to.store, path: temporary });
    });
  }

  /** Copies the contents of directory `from` into the new (private) directory `to`, directly. */
  private async fillTree(from: Side, to: Side): Promise<void> {
    for (const name of await from.store.list(from.path)) {
      const source = from.store.join(from.path, name);
      const target = to.store.join(to.path, name);
      const info = await from.store.stat(source);
      if (info === undefined) continue;
      if (info.type === 'dir') {
        await to.store.mkdir(target);
        await this.fillTree({ store: from.store, path: source }, { store: to.store, path: target });
      } else {
        this.progress.addTotal(info.sizeBytes);
        await this.stream(from.store.read(source), to.store.write(target), source);
      }
    }
  }

  /** Runs `write` against a temporary name beside `to`, then renames it into place. */
  private async throughTemporary(to: Side, write: (temporary: string) => Promise<void>): Promise<void> {
    const directory = to.store.parent(to.path);
    const temporary = to.store.join(directory, temporaryName(to.store.base(to.path), randomBytes(6).toString('hex')));
    try {
      await write(temporary);
      await to.store.rename(temporary, to.path);
    } catch (error) {
      await to.store.remove(temporary).catch(() => undefined);
      throw error;
    }
  }

  private async stream(source: Readable, sink: Writable, sourcePath: string): Promise<void> {
    try {
      await pipeline(source, this.progress.counter(), sink);
    } catch (error) {
      if (error instanceof GfsError) throw error;
      const path = (error as { path?: unknown }).path;
      throw localError(error, typeof path === 'string' ? path : sourcePath);
    }
  }
}
