// The lease table: which replica is primary of a chunk, at which version, until when (GFS §3.1).
// In memory only: after a restart the table is empty, and every chunk's next lease comes with a
// version bump, so replicas refuse mutations stamped by a primary of an older lease.

export interface Lease {
  handle: string;
  primaryId: string;
  /** The replicas (primary included) that acked the grant, at `version`. */
  replicaIds: string[];
  version: number;
  expiresAtMs: number;
}

export class LeaseTable {
  /** Leases recorded since this process started: every set() is a grant to a primary (metrics). */
  grantedTotal = 0;
  private readonly leases = new Map<string, Lease>();
  /** Told of every lease granted (the master's event feed); extensions are not grants. */
  onGranted: ((lease: Lease) => void) | undefined;

  get(handle: string): Lease | undefined {
    return this.leases.get(handle);
  }

  /** The lease if it is held at `version` and has not expired at `nowMs`. */
  valid(handle: string, version: number, nowMs: number): Lease | undefined {
    const lease = this.leases.get(handle);
    return lease !== undefined && lease.version === version && nowMs < lease.expiresAtMs ? lease : undefined;
  }

  /** Records a newly granted lease. */
  set(lease: Lease): void {
    this.grantedTotal++;
    this.leases.set(lease.handle, lease);
    this.onGranted?.(lease);
  }

  /** Drops every lease a server is primary of (it restarted, so it no longer knows them). */
  forgetPrimary(serverId: string): number {
    let count = 0;
    for (const [handle, lease] of this.leases) {
      if (lease.primaryId === serverId) {
        this.leases.delete(handle);
        count++;
      }
    }
    return count;
  }

  forget(handle: string): void {
    this.leases.delete(handle);
  }

  get size(): number {
    return this.leases.size;
  }
}
