// Scrubbing (GFS §5.2): while the chunkserver is idle (no client I/O for idleMs), verify the
// CRC32C of every block of the replicas not verified within intervalMs, oldest-verified first,
// at most bytesPerSecond. A bad block goes through the store's ordinary verified read, so it is
// reported to the master exactly as a client read reports it (the master has the replica
// re-cloned from a good one, then deleted).
//
// Scheduling: a server may hold a million replicas (small files are one chunk each), so the next
// replica is not looked for among all of them each time. One walk over the store's handles builds
// a due queue (the replicas due then, sorted oldest-verified first, never-verified lowest handle
// first); the scrubber works through it, skipping replicas gone or verified meanwhile, and walks
// the store again only once the queue is empty. A pass over n replicas thus costs one O(n log n)
// sort, O(1) per replica verified, and an idle poll with nothing due one O(n) walk. The price: a
// replica created or falling due while a queue is worked through waits for the next walk.
//
// Bounds: one piece (pieceBytes) is read at a time under the chunk's read lock, so a writer waits
// for at most one piece and client I/O pauses the scrub within one piece; an interrupted chunk
// resumes where it stopped. When each replica was last verified is kept in memory only: after a
// restart every replica counts as never verified and is verified once more, lowest handle (oldest
// chunk) first. That map is pruned of replicas gone once it is a quarter bigger than the store,
// so each prune (one walk) removes at least a fifth of it: O(1) per replica gone, however they go.
// Only a full pass counts: a client read checks just the blocks it touches, so it does not stand
// in for one.

import { GfsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { ClientActivity } from './client-activity.js';

export interface ScrubSettings {
  /** 0 turns scrubbing off. */
  bytesPerSecond: number;
  idleMs: number;
  intervalMs: number;
  pieceBytes: number;
  pollMsMax: number;
}

/** What the scrubber needs of the chunk store (ChunkStore has it). */
export interface ScrubStore {
  /** A fresh copy: O(n). */
  handles(): string[];
  /** How many replicas the store holds, without copying their handles. */
  readonly count: number;
  /** The replica's length; CHUNK_NOT_FOUND once it is gone. */
  sizeOf(handle: string): number;
  /** A verified read: CHECKSUM_MISMATCH (reported to the master by the store) on a bad block. */
  read(handle: string, offsetBytes: number, lengthBytes: number): Promise<Buffer>;
}

export interface ScrubberDeps {
  store: ScrubStore;
  activity: ClientActivity;
  /** Monotonic milliseconds (the same clock as `activity`). */
  clock: () => number;
  /** Resolves after `ms`, or early (without throwing) once `signal` aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  settings: ScrubSettings;
  logger: Logger;
}

export interface ScrubProgress {
  /** Replicas held that are due (never verified, or not within the interval). */
  chunksDue: number;
  chunksHeld: number;
  bytesVerifiedTotal: number;
  chunksVerifiedTotal: number;
  corruptFoundTotal: number;
  /** Passes over a chunk paused because client I/O came in. */
  interruptedTotal: number;
  active: boolean;
}

interface Pass {
  handle: string;
  offsetBytes: number;
  startedAtMs: number;
}

export class Scrubber {
  private readonly lastVerifiedMs = new Map<string, number>();
  /** Handles due when the queue was built, in verification order; `dueNext` is its head. */
  private due: string[] = [];
  private dueNext = 0;
  private abort = new AbortController();
  private running: Promise<void> | undefined;
  private partial: Pass | undefined;
  private active = false;
  private bytesVerifiedTotal = 0;
  private chunksVerifiedTotal = 0;
  private corruptFoundTotal = 0;
  private interruptedTotal = 0;

  constructor(private readonly deps: ScrubberDeps) {}

  start(): void {
    if (this.deps.settings.bytesPerSecond <= 0 || this.running !== undefined) return;
    this.abort = new AbortController();
    this.running = this.loop(this.abort.signal).catch((error: unknown) => {
      this.deps.logger.error({ err: error }, 'scrubber stopped by an unexpected error');
    });
  }

  /** Stops within one piece; resolves when the loop is over (start() may run it again). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.running = undefined;
  }

  /** The replica that a pass would verify next at `nowMs`, if any is due. */
  nextDue(nowMs: number): string | undefined {
    const queued = this.dueHead(nowMs);
    if (queued !== undefined) return queued;
    this.buildDueQueue(nowMs);
    return this.dueHead(nowMs);
  }

  /** The queue's first replica still held and still due, dropping those before it. */
  private dueHead(nowMs: number): string | undefined {
    for (; this.dueNext < this.due.length; this.dueNext++) {
      const handle = this.due[this.dueNext] as string;
      if (this.isDue(handle, nowMs) && this.holds(handle)) return handle;
    }
    return undefined;
  }

  private buildDueQueue(nowMs: number): void {
    const due: { handle: string; lastMs: number }[] = [];
    for (const handle of this.deps.store.handles()) {
      if (this.isDue(handle, nowMs)) {
        due.push({ handle, lastMs: this.lastVerifiedMs.get(handle) ?? Number.NEGATIVE_INFINITY });
      }
    }
    // Not a subtraction: two never-verified replicas (-Infinity each) would compare as NaN.
    due.sort((a, b) => (a.lastMs === b.lastMs ? compareHandles(a.handle, b.handle) : a.lastMs < b.lastMs ? -1 : 1));
    this.due = due.map((entry) => entry.handle);
    this.dueNext = 0;
  }

  private isDue(handle: string, nowMs: number): boolean {
    const last = this.lastVerifiedMs.get(handle);
    return last === undefined || nowMs - last >= this.deps.settings.intervalMs;
  }

  private holds(handle: string): boolean {
    try {
      this.deps.store.sizeOf(handle);
      return true;
    } catch {
      return false;
    }
  }

  progress(nowMs = this.deps.clock()): ScrubProgress {
    const handles = this.deps.store.handles();
    let chunksDue = 0;
    for (const handle of handles) if (this.isDue(handle, nowMs)) chunksDue++;
    return {
      chunksDue,
      chunksHeld: handles.length,
      bytesVerifiedTotal: this.bytesVerifiedTotal,
      chunksVerifiedTotal: this.chunksVerifiedTotal,
      corruptFoundTotal: this.corruptFoundTotal,
      interruptedTotal: this.interruptedTotal,
      active: this.active,
    };
  }

  private async loop(signal: AbortSignal): Promise<void> {
    const { activity, clock, settings } = this.deps;
    while (!signal.aborted) {
      const now = clock();
      const idleInMs = settings.idleMs - activity.quietForMs(now);
      if (idleInMs > 0) {
        await this.deps.sleep(Math.min(idleInMs, settings.pollMsMax), signal);
        continue;
      }
      this.prune();
      const handle = this.nextDue(now);
      if (handle === undefined) {
        await this.deps.sleep(settings.pollMsMax, signal);
        continue;
      }
      this.active = true;
      try {
        await this.verify(handle, signal);
      } finally {
        this.active = false;
      }
      // Done with it, unless client I/O paused its pass (it resumes next) or a stop cut it short
      // (it starts over next).
      if (this.partial === undefined && !signal.aborted && this.due[this.dueNext] === handle) this.dueNext++;
      // An empty replica is verified without any I/O or rate sleep: without this turn of the event
      // loop, a run of them would hold off client requests (and the idleness check that would
      // notice them) until the run ended.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Verifies one replica from where an interrupted pass stopped (or its start). */
  private async verify(handle: string, signal: AbortSignal): Promise<void> {
    const { store, activity, clock, settings, logger } = this.deps;
    const resume = this.partial?.handle === handle ? this.partial : undefined;
    const pass: Pass = resume ?? { handle, offsetBytes: 0, startedAtMs: clock() };
    this.partial = undefined;
    for (;;) {
      let sizeBytes: number;
      try {
        sizeBytes = store.sizeOf(handle);
      } catch {
        this.lastVerifiedMs.delete(handle);
        return;
      }
      if (pass.offsetBytes >= sizeBytes) break;
      if (signal.aborted) return;
      if (activity.quietForMs(clock()) < settings.idleMs) {
        this.partial = pass;
        this.interruptedTotal++;
        return;
      }
      const lengthBytes = Math.min(settings.pieceBytes, sizeBytes - pass.offsetBytes);
      try {
        await store.read(handle, pass.offsetBytes, lengthBytes);
      } catch (error) {
        if (error instanceof GfsError && error.code === 'CHUNK_NOT_FOUND') {
          this.lastVerifiedMs.delete(handle);
          return;
        }
        // A bad block (the store has reported the replica to the master, which has it replaced,
        // then deleted) or an I/O error: this replica is done with for this interval.
        if (error instanceof GfsError && error.code === 'CHECKSUM_MISMATCH') {
          this.corruptFoundTotal++;
          logger.warn({ handle, offsetBytes: pass.offsetBytes }, 'scrub found a corrupt replica; reported');
        } else {
          logger.warn({ handle, offsetBytes: pass.offsetBytes, err: error }, 'scrub could not read a replica');
        }
        this.lastVerifiedMs.set(handle, clock());
        return;
      }
      pass.offsetBytes += lengthBytes;
      this.bytesVerifiedTotal += lengthBytes;
      // The rate bound: this piece's share of a second at bytesPerSecond.
      await this.deps.sleep((lengthBytes * 1000) / settings.bytesPerSecond, signal);
    }
    // Blocks written during the pass were checksummed from the bytes written: the pass's start is
    // a safe "verified at".
    this.lastVerifiedMs.set(handle, pass.startedAtMs);
    this.chunksVerifiedTotal++;
  }

  /** Forgets replicas the store no longer holds (see the header for when). */
  private prune(): void {
    const heldCount = this.deps.store.count;
    if (this.lastVerifiedMs.size <= heldCount + heldCount / 4) return;
    const held = new Set(this.deps.store.handles());
    for (const handle of this.lastVerifiedMs.keys()) if (!held.has(handle)) this.lastVerifiedMs.delete(handle);
  }
}

/** Handles are decimal: shorter is smaller, then digit by digit. */
function compareHandles(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
