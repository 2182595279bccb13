// When a create's reserved chunk may take a file's first write: one piece at most, while enough of
// its lease is left that the primary still takes writes (it stops LEASE_SAFETY_MARGIN_MS early).

import { describe, expect, it } from 'vitest';
import { fitsReserved } from '../../../client/sdk/reserved-chunk.js';
import { LEASE_SAFETY_MARGIN_MS, PIECE_BYTES_DEFAULT } from '../../../shared/limits.js';

const reserved = (leaseMs: number, chunkSize = 64 * 1024 * 1024) => ({
  grant: { handle: '7', version: 1, primary: 'a:1', secondaries: ['b:1'], leaseMs, chunkSize },
  receivedAtMs: 1_000,
});

describe('fitsReserved', () => {
  it('takes one piece of a chunk from the first byte, not nothing and not more', () => {
    expect(fitsReserved(reserved(30_000), 4096, 1_000)).toBe(true);
    expect(fitsReserved(reserved(30_000), PIECE_BYTES_DEFAULT, 1_000)).toBe(true);
    expect(fitsReserved(reserved(30_000), PIECE_BYTES_DEFAULT + 1, 1_000)).toBe(false);
    expect(fitsReserved(reserved(30_000, 1024 * 1024), 1024 * 1024 + 1, 1_000)).toBe(false);
    expect(fitsReserved(reserved(30_000), 0, 1_000)).toBe(false);
  });

  it('only while the primary still takes writes under the lease, with a margin', () => {
    const lease = 30_000;
    expect(fitsReserved(reserved(lease), 10, 1_000 + lease - LEASE_SAFETY_MARGIN_MS - 1_000)).toBe(true);
    expect(fitsReserved(reserved(lease), 10, 1_000 + lease - LEASE_SAFETY_MARGIN_MS)).toBe(false);
    expect(fitsReserved(reserved(LEASE_SAFETY_MARGIN_MS), 10, 1_000)).toBe(false);
  });
});
