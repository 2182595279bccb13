// The mount's side of directory delegations (shared/protocol/delegations.ts): which directories
// this mount holds, with the names in each (a name not there is missing: nobody else can add one
// while we hold it), and the loops that keep them — a renewal at a third of the term, and a
// long-poll for recalls. A recalled directory is handed to `onRecall` (which sends what is pending
// there) and then given back. A burst of creates in a directory is what asks for one.

import { DELEGATION_RECALL_MS_MAX, DELEGATION_TERM_MS } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import { parentPath } from '../../shared/paths.js';
import type { GfsClient } from '../sdk/client.js';
import {
  DELEGATE_AFTER_CREATES,
  DELEGATE_BACKOFF_MS,
  DELEGATE_WINDOW_MS,
  DELEGATION_SAFETY_MS,
  RECALL_POLL_MS,
} from './limits.js';

export interface DelegatedDir {
  readonly path: string;
  /** The directory's entries as the master listed them, with this mount's changes since. */
  readonly names: Set<string>;
  expiresAtMs: number;
  /** Being given back: no new local creates; what is pending goes out. */
  returning: Promise<void> | undefined;
}

export interface DelegationsOptions {
  now: () => number;
  log: Logger;
  /** Sends everything pending in `dir` (the delegation is given back once it resolves). */
  onRecall: (dir: string) => Promise<void>;
}

/** Creates seen lately in a directory held by nobody here. */
interface CreateBurst {
  count: number;
  sinceMs: number;
}

export class Delegations {
  private readonly held = new Map<string, DelegatedDir>();
  private readonly asking = new Set<string>();
  private readonly bursts = new Map<string, CreateBurst>();
  /** Directory → until when it is not asked for again (refused, or recalled). */
  private readonly backoff = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;

  constructor(
    private readonly client: GfsClient,
    private readonly options: DelegationsOptions,
  ) {}

  /** The delegation of `path`'s directory, while it is safe to answer from it. */
  ofParent(path: string): DelegatedDir | undefined {
    return this.usable(parentPath(path));
  }

  /** The delegation of directory `dir`, while it is safe to answer from it. */
  private usable(dir: string): DelegatedDir | undefined {
    const delegated = this.held.get(dir);
    if (delegated === undefined) return undefined;
    return this.options.now() < delegated.expiresAtMs - DELEGATION_SAFETY_MS ? delegated : undefined;
  }

  /** The names of held directory `dir`, to keep in step with this mount's changes (lapsed or not). */
  namesOf(dir: string): Set<string> | undefined {
    return this.held.get(dir)?.names;
  }

  /** Held directories at `path` or below it (a directory being renamed or removed). */
  heldUnder(path: string): string[] {
    return [...this.held.keys()].filter((dir) => dir === path || dir.startsWith(path === '/' ? '/' : `${path}/`));
  }

  /** A create in `dir` that went to the master: enough of them soon after another asks for `dir`. */
  noteCreate(dir: string): void {
    if (this.stopped || this.held.has(dir) || this.asking.has(dir) || dir === '/') return;
    const now = this.options.now();
    if ((this.backoff.get(dir) ?? 0) > now) return;
    const burst = this.bursts.get(dir);
    if (burst === undefined || now - burst.sinceMs > DELEGATE_WINDOW_MS) {
      this.bursts.set(dir, { count: 1, sinceMs: now });
      this.trimBursts();
      return;
    }
    burst.count += 1;
    if (burst.count < DELEGATE_AFTER_CREATES) return;
    this.bursts.delete(dir);
    this.take(dir);
  }

  /** Gives back what is held under `path` (before it is renamed or removed), pending files sent first. */
  async settleUnder(path: string): Promise<void> {
    await Promise.all(this.heldUnder(path).map((dir) => this.giveBack(dir)));
  }

  /** Gives every delegation back, pending files sent first (the unmount). */
  async returnAll(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.held.keys()].map((dir) => this.giveBack(dir)));
    this.stopLoops();
  }

  private take(dir: string): void {
    this.asking.add(dir);
    this.client
      .takeDelegation(dir)
      .then(({ granted, expiresAtMs, names }) => {
        if (!granted || this.stopped) {
          this.backoff.set(dir, this.options.now() + DELEGATE_BACKOFF_MS);
          if (granted) void this.client.returnDelegation(dir).catch(() => undefined);
          return;
        }
        this.held.set(dir, { path: dir, names: new Set(names), expiresAtMs, returning: undefined });
        this.options.log.debug({ dir, names: names.length }, 'directory delegated');
        this.startLoops();
      })
      .catch((error: unknown) => {
        this.backoff.set(dir, this.options.now() + DELEGATE_BACKOFF_MS);
        this.options.log.debug({ err: error, dir }, 'delegation not taken');
      })
      .finally(() => this.asking.delete(dir));
  }

  /** Sends what is pending in `dir`, then returns its delegation (once, however often asked). */
  private giveBack(dir: string): Promise<void> {
    const delegated = this.held.get(dir);
    if (delegated === undefined) return Promise.resolve();
    delegated.returning ??= (async () => {
      try {
        // Files that could not be sent yet (the cluster unreachable) keep the delegation a while
        // longer: given back, another client could look before they land.
        const untilMs = this.options.now() + DELEGATION_RECALL_MS_MAX;
        for (;;) {
          try {
            await this.options.onRecall(dir);
            break;
          } catch (error) {
            if (this.options.now() >= untilMs || this.options.now() >= delegated.expiresAtMs) throw error;
            this.options.log.warn({ err: error, dir }, 'files not sent yet; the delegation is kept meanwhile');
            await new Promise((resolve) => setTimeout(resolve, DELEGATION_TERM_MS / 10));
          }
        }
      } finally {
        this.held.delete(dir);
        this.backoff.set(dir, this.options.now() + DELEGATE_BACKOFF_MS);
        await this.client.returnDelegation(dir).catch((error: unknown) => {
          this.options.log.warn({ err: error, dir }, 'delegation not given back (it lapses by itself)');
        });
      }
    })();
    return delegated.returning;
  }

  private startLoops(): void {
    this.renewTimer ??= setInterval(() => void this.renew(), DELEGATION_TERM_MS / 3);
    this.renewTimer.unref();
    if (!this.polling) void this.pollRecalls();
  }

  private stopLoops(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  private async renew(): Promise<void> {
    const paths = [...this.held.keys()];
    if (paths.length === 0) return;
    try {
      const { held, recalled, lost, expiresAtMs } = await this.client.renewDelegations(paths);
      for (const dir of held) {
        const delegated = this.held.get(dir);
        if (delegated !== undefined) delegated.expiresAtMs = expiresAtMs;
      }
      for (const dir of recalled) void this.giveBack(dir);
      for (const dir of lost) {
        // Lapsed at the master: answer nothing more from it; what is pending still goes out.
        const delegated = this.held.get(dir);
        if (delegated !== undefined) delegated.expiresAtMs = 0;
        void this.giveBack(dir);
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'delegations not renewed');
    }
  }

  private async pollRecalls(): Promise<void> {
    this.polling = true;
    try {
      while (!this.stopped && this.held.size > 0) {
        let recalled: string[];
        try {
          recalled = await this.client.delegationRecalls(RECALL_POLL_MS);
        } catch (error) {
          if (this.stopped) break;
          this.options.log.debug({ err: error }, 'recall poll failed');
          await new Promise((resolve) => setTimeout(resolve, DELEGATION_TERM_MS / 10).unref());
          continue;
        }
        // The master answers at once while a recall is pending: ask again only once these are back.
        const returns = recalled.map((dir) => {
          if (this.held.get(dir)?.returning === undefined) this.options.log.debug({ dir }, 'delegation recalled');
          return this.giveBack(dir);
        });
        await Promise.allSettled(returns);
      }
    } finally {
      this.polling = false;
    }
  }

  private trimBursts(): void {
    if (this.bursts.size <= 1024) return;
    const now = this.options.now();
    for (const [dir, burst] of this.bursts) if (now - burst.sinceMs > DELEGATE_WINDOW_MS) this.bursts.delete(dir);
  }
}
