// Chunk handles arriving from the network: decimal only, canonical form, at most 2^64 − 1. A handle
// that passes here is safe to use as a file name under the chunk directory (no path can escape it).

import { GfsError } from '../../shared/errors.js';

const CANONICAL_HANDLE = /^(0|[1-9][0-9]{0,19})$/;
const HANDLE_MAX = 2n ** 64n - 1n;

export function isValidHandle(handle: string): boolean {
  return CANONICAL_HANDLE.test(handle) && BigInt(handle) <= HANDLE_MAX;
}

/** Returns the handle unchanged, or throws INVALID_ARGUMENT naming it. */
export function checkHandle(handle: string): string {
  if (!isValidHandle(handle)) {
    throw new GfsError('INVALID_ARGUMENT', 'chunk handle must be a canonical decimal u64', handle.slice(0, 64));
  }
  return handle;
}
