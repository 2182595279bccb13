// Answers to "who is primary for chunk `index` of this file", cached for at most the lease time
// the master gave and dropped on any error. Concurrent requests for one chunk share one call.

import { LEASE_MS_DEFAULT } from '../../shared/limits.js';
import type { LeaseReply, MasterApi } from './master-api.js';

/** Leases cached at once; a writer touches few chunks at a time, so this is generous. */
export const LEASE_CACHE_ENTRIES_MAX = 4_096;

interface CachedLease {
  grant: LeaseReply;
  expiresAtMs: number;
}

export class LeaseCache {
  private readonly grants = new Map<string, CachedLease>();
  private readonly pending = new Map<string, Promise<LeaseReply>>();
  /** Longest lease seen: how long a dead primary may still block a chunk. */
  leaseMsMax = 0;

  constructor(
    private readonly master: MasterApi,
    private readonly now: () => number = Date.now,
  ) {}

  /** The lease length to assume when waiting out a dead primary. */
  get leaseMsAssumed(): number {
    return this.leaseMsMax > 0 ? this.leaseMsMax : LEASE_MS_DEFAULT;
  }

  async get(path: string, index: number): Promise<LeaseReply> {
    const key = keyOf(path, index);
    const cached = this.grants.get(key);
    if (cached !== undefined && cached.expiresAtMs > this.now()) return cached.grant;
    const inFlight = this.pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const request = this.fetch(path, index, key).finally(() => this.pending.delete(key));
    this.pending.set(key, request);
    return request;
  }

  invalidate(path: string, index: number): void {
    this.grants.delete(keyOf(path, index));
  }

  invalidatePath(path: string): void {
    const prefix = `${path}\0`;
    const below = path === '/' ? '/' : `${path}/`;
    for (const key of [...this.grants.keys()]) {
      if (key.startsWith(prefix) || key.startsWith(below)) this.grants.delete(key);
    }
  }

  private async fetch(path: string, index: number, key: string): Promise<LeaseReply> {
    const askedAtMs = this.now();
    const grant = await this.master.lease(path, index);
    this.leaseMsMax = Math.max(this.leaseMsMax, grant.leaseMs);
    if (grant.leaseMs > 0) {
      if (this.grants.size >= LEASE_CACHE_ENTRIES_MAX) {
        const oldest = this.grants.keys().next().value;
        if (oldest !== undefined) this.grants.delete(oldest);
      }
      // Counted from when we asked, so the cached answer never outlives the lease itself.
      this.grants.set(key, { grant, expiresAtMs: askedAtMs + grant.leaseMs });
    }
    return grant;
  }
}

function keyOf(path: string, index: number): string {
  return `${path}\0${index}`;
}
