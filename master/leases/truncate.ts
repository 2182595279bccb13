// POSIX truncate at the master. Growing is a metadata change (the new range is a hole that reads
// as zeros). Shrinking also cuts the chunk that will hold the new end, on every replica, through
// its primary (so the cut is ordered with the chunk's writes), and releases the chunks past it.
//
// Order: cut first, log second. If the master dies in between, nothing is logged: the file keeps
// its old length with zeros from the cut on (bytes the truncate was dropping anyway), and the
// client's retry finishes the job. The other order would leave a logged short length over a chunk
// still holding the old tail, which a later grow (truncate or write past the end) would expose.

import { GfsError } from '../../shared/errors.js';
import type { BodyOf } from '../../shared/http/route.js';
import type { Logger } from '../../shared/log.js';
import type { chunkTruncateRoute } from '../../shared/protocol/data.js';
import { requireFile } from '../chunkservers/locate.js';
import type { FileEntry, LogRecord, MasterState } from '../state/types.js';
import type { LeaseManager } from './lease-manager.js';

export type CutBody = BodyOf<typeof chunkTruncateRoute>;
/** Sends `POST /chunk/truncate` to a chunk's primary; resolves once every replica cut the chunk. */
export type CutCaller = (primaryAddress: string, body: CutBody) => Promise<void>;

export interface TruncatorDeps {
  state: MasterState;
  leases: LeaseManager;
  cut: CutCaller;
  commit(record: LogRecord): Promise<unknown>;
  clock: () => number;
  logger: Logger;
}

/** A rename or overwrite racing the cut makes the truncate look again; this bounds how often. */
const TRUNCATE_ATTEMPTS_MAX = 3;

export class Truncator {
  /** Truncates in flight per path: one at a time, so two cuts never interleave with two logs. */
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: TruncatorDeps) {}

  async truncate(path: string, length: number): Promise<void> {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new GfsError('INVALID_ARGUMENT', 'length must be a non-negative integer', path);
    }
    for (;;) {
      const pending = this.running.get(path);
      if (pending === undefined) break;
      await pending.catch(() => undefined);
    }
    const work = this.truncateNow(path, length);
    this.running.set(path, work);
    try {
      await work;
    } finally {
      if (this.running.get(path) === work) this.running.delete(path);
    }
  }

  private async truncateNow(path: string, length: number): Promise<void> {
    for (let attempt = 0; attempt < TRUNCATE_ATTEMPTS_MAX; attempt++) {
      const file = requireFile(this.deps.state, path);
      const cut = await this.cutTail(path, file, length);
      // The cut awaited the network: the path must still name the same file, or the cut chunk
      // may belong to another file now (a rename or an overwrite ran meanwhile). Look again.
      if (this.deps.state.entries.get(path) !== file || (cut !== undefined && file.chunks[cut] === undefined)) {
        continue;
      }
      await this.deps.commit({ op: 'setLength', path, length, mtimeMs: this.deps.clock() });
      return;
    }
    throw new GfsError('UNAVAILABLE', 'the file changed while it was being truncated, retry', path);
  }

  /**
   * When shrinking into the middle of an existing chunk, cuts that chunk at the new end on every
   * replica of its lease; returns its index (undefined when no cut was needed).
   */
  private async cutTail(path: string, file: FileEntry, length: number): Promise<number | undefined> {
    const chunkSizeBytes = this.deps.state.chunkSizeBytes;
    const offset = length % chunkSizeBytes;
    const index = Math.floor(length / chunkSizeBytes);
    // Growing cuts nothing: a write in flight past the old end must keep its bytes. A cut at a
    // chunk boundary is a release of whole chunks, done by the log record itself.
    if (length >= file.length || offset === 0 || index >= file.chunks.length) return undefined;
    const grant = await this.deps.leases.lease(path, index);
    await this.deps.cut(grant.primary, {
      handle: grant.handle,
      version: grant.version,
      offset,
      secondaries: grant.secondaries,
    });
    this.deps.logger.info(`chunk cut for truncate path=${path} handle=${grant.handle} offset=${offset}`);
    return index;
  }
}
