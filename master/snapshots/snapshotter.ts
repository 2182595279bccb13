// `gfs snapshot SRC DST` at the master (DESIGN §3): fence the source's chunks, then log one
// `snapshot` record that copies the metadata, the copies sharing every chunk. Writes after it
// copy a shared chunk first (master/leases/copy-on-write.ts), so neither side sees the other's.
//
// Why nothing written under an earlier lease can show in the snapshot after it is acknowledged:
// every chunk the record shares is either
//   - fenced (fence.ts) and held from its fence until the record is applied: its primary ordered
//     nothing more after the revoke, what it had ordered ended (or is refused by the replicas at
//     the new version), and no new lease could be granted while it was held; or
//   - already shared (refcount > 1): no lease has been granted on it since it became shared (the
//     lease path copies it instead), and it was fenced when it did.
// The record is applied in the same synchronous step as the last look at the source, so a chunk
// a writer added meanwhile is either fenced in a further round or not in the snapshot at all.
// From then on the chunks are shared, so the next lease request of either file copies first.
//
// Snapshots run one at a time: each holds many chunks while it waits for others, and two doing so
// in opposite orders would wait for each other forever. They are rare next to writes.

import { GfsError } from '../../shared/errors.js';
import { InFlight } from '../../shared/in-flight.js';
import { SNAPSHOT_FENCE_ROUNDS_MAX, SNAPSHOT_FENCES_IN_FLIGHT } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import type { LeaseManager } from '../leases/lease-manager.js';
import { check } from '../state/check.js';
import { isShared } from '../state/file-snapshot.js';
import { subtreeOf } from '../state/namespace-table.js';
import type { LogRecord, MasterState, SnapshotRecord } from '../state/types.js';

export interface SnapshotterDeps {
  state: MasterState;
  leases: LeaseManager;
  /** Fences one held chunk (fence.ts). */
  fence(handle: string): Promise<void>;
  commit(record: LogRecord): Promise<unknown>;
  /** False during the start-up wait: replica locations are not all known, so fences could miss some. */
  isReady(): boolean;
  logger: Logger;
}

interface Round {
  /** Unshared chunks of the source not fenced yet. */
  toFence: string[];
  /** What chunks busy with other work (a grant, a clone) wait for. */
  busy: Array<Promise<unknown>>;
}

export class Snapshotter {
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SnapshotterDeps) {}

  /** Snapshots the file or tree at `from` to `to`; resolves once the record is durable. */
  snapshot(from: string, to: string, mtimeMs: number): Promise<void> {
    const run = this.last.then(() => this.snapshotNow({ op: 'snapshot', from, to, mtimeMs }));
    this.last = run.catch(() => undefined);
    return run;
  }

  private async snapshotNow(record: SnapshotRecord): Promise<void> {
    const { state, leases, logger } = this.deps;
    if (!this.deps.isReady()) throw new GfsError('NOT_READY', 'master is waiting for chunk reports', record.from);
    // Refused before any chunk is fenced (a missing source, an existing destination …).
    check(state, record);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const fenced = new Set<string>();
    try {
      for (let round = 0; round < SNAPSHOT_FENCE_ROUNDS_MAX; round++) {
        const { toFence, busy } = this.lookAtSource(record.from, fenced);
        if (toFence.length === 0 && busy.length === 0) {
          // check + apply happen in this step, with the look above: nothing can slip in between.
          await this.deps.commit(record);
          logger.info(`snapshot taken from=${record.from} to=${record.to} fenced=${fenced.size} rounds=${round + 1}`);
          return;
        }
        if (busy.length > 0) {
          await Promise.all(busy.map((pending) => pending.catch(() => undefined)));
          continue;
        }
        for (const handle of toFence) {
          leases.hold(handle, held);
          fenced.add(handle);
        }
        // After a failure no further fence starts; the running ones end first (their chunks stay held).
        await InFlight.forEach(toFence, SNAPSHOT_FENCES_IN_FLIGHT, (handle) => this.deps.fence(handle));
      }
      throw new GfsError('UNAVAILABLE', 'the source kept changing while it was snapshotted, retry', record.from);
    } finally {
      release();
    }
  }

  /** The source's chunks still to fence, and what the busy ones wait for. */
  private lookAtSource(from: string, fenced: ReadonlySet<string>): Round {
    const { state, leases } = this.deps;
    const round: Round = { toFence: [], busy: [] };
    const seen = new Set<string>();
    for (const path of subtreeOf(state, from)) {
      const entry = state.entries.get(path);
      if (entry?.type !== 'file') continue;
      for (const handle of entry.chunks) {
        if (fenced.has(handle) || seen.has(handle) || !state.chunks.has(handle)) continue;
        seen.add(handle);
        // Shared chunks are frozen already (see the top of this file), even while being copied.
        if (isShared(state, handle)) continue;
        const pending = leases.pending(handle);
        if (pending !== undefined) round.busy.push(pending);
        else round.toFence.push(handle);
      }
    }
    return round;
  }
}
