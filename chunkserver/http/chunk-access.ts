// The chunkserver's check of chunk access tokens (shared/security/chunk-token.ts) on every data
// request a client sends: push, write, inline write, append and sync need a write token, a read
// a read token. One HMAC over the token per request, nothing cached: a token is checked against
// the clock each time, so none outlives its expiry. Under --insecure (no key) nothing is checked.

import type { IncomingHttpHeaders } from 'node:http';
import { CHUNK_TOKEN_CLOCK_SKEW_MS } from '../../shared/limits.js';
import {
  CHUNK_TOKEN_HEADER,
  type ChunkAccess,
  type ChunkTokenClaims,
  verifyChunkToken,
} from '../../shared/security/chunk-token.js';

export interface ChunkAccessCheck {
  /**
   * The claims of the request's token when it allows `access` (a TOKEN_* GfsError otherwise);
   * undefined when nothing is checked.
   */
  check(headers: IncomingHttpHeaders, access: ChunkAccess): ChunkTokenClaims | undefined;
}

/** `key`: keys.chunkToken, or null under --insecure. */
export function chunkAccessCheck(
  key: Buffer | null,
  clockSkewMs = CHUNK_TOKEN_CLOCK_SKEW_MS,
  now: () => number = Date.now,
): ChunkAccessCheck {
  if (key === null) return { check: () => undefined };
  return {
    check: (headers, access) => verifyChunkToken(key, headers[CHUNK_TOKEN_HEADER], access, now(), clockSkewMs),
  };
}

/** The request's token, to pass along a push chain. */
export function tokenHeaderOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers[CHUNK_TOKEN_HEADER];
  return typeof value === 'string' ? value : undefined;
}
