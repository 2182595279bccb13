import { describe, expect, it } from 'vitest';
import { LeaseTable } from '../../../chunkserver/mutation/lease-table.js';
import { LEASE_SAFETY_MARGIN_MS } from '../../../shared/limits.js';
import { codeOf } from './helpers.js';

describe('LeaseTable', () => {
  it('hands out serials from 1 while the lease lasts, stopping a safety margin early', async () => {
    let nowMs = 10_000;
    const leases = new LeaseTable(() => nowMs);
    leases.grant('3', 2, 10_000);
    expect(leases.nextSerial('3', 2)).toBe(1);
    expect(leases.nextSerial('3', 2)).toBe(2);
    expect(await codeOf(Promise.resolve().then(() => leases.nextSerial('3', 1)))).toBe('STALE_VERSION');
    expect(await codeOf(Promise.resolve().then(() => leases.nextSerial('4', 1)))).toBe('NOT_PRIMARY');
    nowMs += 10_000 - LEASE_SAFETY_MARGIN_MS;
    expect(await codeOf(Promise.resolve().then(() => leases.nextSerial('3', 2)))).toBe('LEASE_EXPIRED');
  });

  it('asks for extensions only for mutated live leases, and applies them', () => {
    let nowMs = 0;
    const leases = new LeaseTable(() => nowMs);
    leases.grant('1', 1, 10_000);
    leases.grant('2', 1, 10_000);
    leases.nextSerial('1', 1);
    expect(leases.takeExtensionRequests()).toEqual(['1']);
    expect(leases.takeExtensionRequests()).toEqual([]);
    leases.restoreExtensionRequests(['1']);
    expect(leases.takeExtensionRequests()).toEqual(['1']);
    nowMs = 5_000;
    leases.extend('1', 1, 10_000, nowMs);
    leases.extend('2', 7, 10_000, nowMs);
    nowMs = 12_000;
    expect(leases.isPrimary('1')).toBe(true);
    expect(leases.isPrimary('2')).toBe(false);
    // A new version restarts serials; a grant without a lease (revoke) ends it.
    leases.grant('1', 2, 10_000);
    expect(leases.nextSerial('1', 2)).toBe(1);
    leases.revoke('1');
    expect(leases.isPrimary('1')).toBe(false);
  });
});
