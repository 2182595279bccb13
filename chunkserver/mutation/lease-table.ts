// The leases this chunkserver holds as primary (GFS §3.1). A lease is valid for one chunk version
// until its deadline = time the grant (or extension) was received + leaseMs − safety margin, so
// the primary stops before the master could think the lease over. Also assigns serial numbers.

import { GfsError } from '../../shared/errors.js';
import { LEASE_SAFETY_MARGIN_MS } from '../../shared/limits.js';

export interface Lease {
  version: number;
  deadlineMs: number;
  nextSerial: number;
  /** A mutation went through since the last heartbeat: ask the master to extend. */
  mutated: boolean;
  /**
   * Where the next record append goes: the end of every mutation ordered under this lease, so
   * appends in flight never overlap. Unset until the first append or write of the lease.
   */
  appendEnd: number | undefined;
}

export class LeaseTable {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly now: () => number = Date.now) {}

  grant(handle: string, version: number, leaseMs: number, receivedAtMs = this.now()): void {
    const existing = this.leases.get(handle);
    // A re-grant at the same version keeps the serial sequence: secondaries expect it to go on.
    const nextSerial = existing !== undefined && existing.version === version ? existing.nextSerial : 1;
    this.leases.set(handle, {
      version,
      deadlineMs: receivedAtMs + leaseMs - LEASE_SAFETY_MARGIN_MS,
      nextSerial,
      mutated: existing?.version === version ? existing.mutated : false,
      appendEnd: existing?.version === version ? existing.appendEnd : undefined,
    });
  }

  /** Applies a heartbeat's extension; ignored unless we still hold that version's lease. */
  extend(handle: string, version: number, leaseMs: number, sentAtMs: number): void {
    const lease = this.leases.get(handle);
    if (lease === undefined || lease.version !== version) return;
    if (leaseMs <= 0) {
      this.leases.delete(handle);
      return;
    }
    lease.deadlineMs = Math.max(lease.deadlineMs, sentAtMs + leaseMs - LEASE_SAFETY_MARGIN_MS);
  }

  revoke(handle: string): void {
    this.leases.delete(handle);
  }

  /**
   * Checks that this server may order a mutation of `handle` at `version` now and returns its serial.
   * NOT_PRIMARY without a lease, STALE_VERSION for another version, LEASE_EXPIRED past the deadline.
   */
  nextSerial(handle: string, version: number): number {
    const lease = this.check(handle, version);
    lease.mutated = true;
    return lease.nextSerial++;
  }

  /** The checks of nextSerial without taking a serial. */
  check(handle: string, version: number): Lease {
    const lease = this.leases.get(handle);
    if (lease === undefined) throw new GfsError('NOT_PRIMARY', 'this chunkserver holds no lease on the chunk', handle);
    if (lease.version !== version) {
      throw new GfsError('STALE_VERSION', `lease is for version ${lease.version}, not ${version}`, handle);
    }
    if (this.now() >= lease.deadlineMs) throw new GfsError('LEASE_EXPIRED', 'the lease on this chunk ended', handle);
    return lease;
  }

  /** Handles with a live lease that saw mutations since the last call; clears their flags. */
  takeExtensionRequests(): string[] {
    const now = this.now();
    const handles: string[] = [];
    for (const [handle, lease] of this.leases) {
      if (lease.deadlineMs <= now) {
        this.leases.delete(handle);
        continue;
      }
      if (!lease.mutated) continue;
      lease.mutated = false;
      handles.push(handle);
    }
    return handles;
  }

  /** Puts back requests a failed heartbeat did not deliver. */
  restoreExtensionRequests(handles: readonly string[]): void {
    for (const handle of handles) {
      const lease = this.leases.get(handle);
      if (lease !== undefined) lease.mutated = true;
    }
  }

  isPrimary(handle: string): boolean {
    const lease = this.leases.get(handle);
    return lease !== undefined && this.now() < lease.deadlineMs;
  }
}
