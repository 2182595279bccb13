// The copying behind `gfs cp`: files through a temporary name beside the destination, renamed
// into place only once complete (a failed copy leaves nothing at the destination), and whole
// directory trees built under a temporary name the same way, or merged into an existing one.

import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GfsError } from '../../shared/errors.js';
import { InFlight } from '../../shared/in-flight.js';
import { SMALL_FILE_BYTES_MAX, SMALL_FILE_COPIES_IN_FLIGHT } from '../../shared/limits.js';
import { temporaryName } from './cp-plan.js';
import type { Progress } from './progress.js';
import { localError, type NodeInfo, type Store } from './stores.js';

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
      await this.stream(from.store.read(from.path), to.store.write(temporary, sizeBytes), from.path);
    });
  }

  private async copyTree(from: Side, to: Side): Promise<void> {
    const existing = await to.store.stat(to.path);
    if (existing?.type === 'file') {
      throw new GfsError('NOT_A_DIRECTORY', 'cannot overwrite non-directory with directory', to.path);
    }
    if (existing?.type === 'dir') {
      // Merge into the existing directory, each entry atomically on its own.
      await withSmallFilesInFlight(async (inFlight) => {
        for (const name of await from.store.list(from.path)) {
          const child = { store: from.store, path: from.store.join(from.path, name) };
          const info = await from.store.stat(child.path);
          if (info === undefined) continue;
          const copy = () =>
            this.copy(child, { store: to.store, path: to.store.join(to.path, name) }, info.type, info.sizeBytes);
          if (!isSmallFile(info)) await copy();
          else if (!(await inFlight.start(copy))) return;
        }
      });
      return;
    }
    await this.throughTemporary(to, async (temporary) => {
      await to.store.mkdir(temporary);
      await this.fillTree(from, { store: to.store, path: temporary });
    });
  }

  /** Copies the contents of directory `from` into the new (private) directory `to`, directly. */
  private async fillTree(from: Side, to: Side): Promise<void> {
    await withSmallFilesInFlight((inFlight) => this.walkInto(from, to, inFlight));
  }

  /** fillTree's walk; false once a small file's copy failed (nothing more is started). */
  private async walkInto(from: Side, to: Side, inFlight: InFlight): Promise<boolean> {
    for (const name of await from.store.list(from.path)) {
      const source = from.store.join(from.path, name);
      const target = to.store.join(to.path, name);
      const info = await from.store.stat(source);
      if (info === undefined) continue;
      if (info.type === 'dir') {
        await to.store.mkdir(target);
        if (!(await this.walkInto({ store: from.store, path: source }, { store: to.store, path: target }, inFlight))) {
          return false;
        }
        continue;
      }
      this.progress.addTotal(info.sizeBytes);
      const copy = () => this.stream(from.store.read(source), to.store.write(target, info.sizeBytes), source);
      if (!isSmallFile(info)) await copy();
      else if (!(await inFlight.start(copy))) return false;
    }
    return true;
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

/**
 * Small files are copied several at once: each costs a few round trips and little data, so one
 * at a time leaves the cluster waiting (issue 4's small files). Large ones go one at a time, as
 * each already keeps several pieces in flight.
 */
function isSmallFile(info: NodeInfo): boolean {
  return info.type === 'file' && info.sizeBytes <= SMALL_FILE_BYTES_MAX;
}

/**
 * Runs `walk` with a bound on small-file copies in flight; returns (or throws) only once every
 * copy it started has ended, so a failure's clean-up never races a copy still writing.
 */
async function withSmallFilesInFlight(walk: (inFlight: InFlight) => Promise<unknown>): Promise<void> {
  const inFlight = new InFlight(SMALL_FILE_COPIES_IN_FLIGHT);
  try {
    await walk(inFlight);
  } finally {
    await inFlight.idle();
  }
  inFlight.throwIfFailed();
}
