// Which chunk a file's record appends go to and who holds its lease: the master's answer for the
// file's last chunk, cached for the lease time. When the primary says the chunk is full, every
// batch in flight asks for the next chunk at once; they share one request.

import type { AppendLeaseReply, MasterApi } from '../master-api.js';

interface Cached {
  grant: AppendLeaseReply;
  expiresAtMs: number;
}

export class AppendTarget {
  private cached: Cached | undefined;
  private pending: Promise<AppendLeaseReply> | undefined;
  private readonly pendingAfter = new Map<number, Promise<AppendLeaseReply>>();

  constructor(
    private readonly master: MasterApi,
    private readonly path: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The file's last chunk as last seen (asks the master when unknown or expired). */
  current(): Promise<AppendLeaseReply> {
    const cached = this.cached;
    if (cached !== undefined && cached.expiresAtMs > this.now()) return Promise.resolve(cached.grant);
    this.pending ??= this.fetch(undefined).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** The chunk after `index`, which its primary reported full (the master allocates it once). */
  next(index: number): Promise<AppendLeaseReply> {
    const cached = this.cached;
    if (cached !== undefined && cached.grant.index > index && cached.expiresAtMs > this.now()) {
      return Promise.resolve(cached.grant);
    }
    let request = this.pendingAfter.get(index);
    if (request === undefined) {
      request = this.fetch(index).finally(() => this.pendingAfter.delete(index));
      this.pendingAfter.set(index, request);
    }
    return request;
  }

  /** Forgets the cached answer (after an error: the lease, version or replicas may have changed). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async fetch(after: number | undefined): Promise<AppendLeaseReply> {
    const askedAtMs = this.now();
    const grant = await this.master.appendLease(this.path, after);
    // Never step back to an earlier chunk than one already known to be current.
    if (this.cached === undefined || grant.index >= this.cached.grant.index) {
      this.cached = grant.leaseMs > 0 ? { grant, expiresAtMs: askedAtMs + grant.leaseMs } : undefined;
    }
    return grant;
  }
}
