// Chunk access tokens (issue 7 item 2, as HDFS block tokens): the master, which checks who may
// read or change a file, hands each chunk location and lease out with a token naming the chunk,
// its version, read or write, an expiry and the client; a chunkserver, which knows nothing of
// files or users, serves a data request only with a token that matches it. Sealed with
// keys.chunkToken (sealed-token.ts), so only the master and the chunkservers can make one.

import { GfsError } from '../errors.js';
import { CHUNK_TOKEN_CLOCK_SKEW_MS } from '../limits.js';
import { seal, unseal } from './sealed-token.js';

/** The request header every data request carries its token in. */
export const CHUNK_TOKEN_HEADER = 'x-gfs-chunk-token';
const TOKEN_KIND = 'gfs-chunk-v1';

export type ChunkTokenMode = 'r' | 'w';

export interface ChunkTokenClaims {
  handle: string;
  version: number;
  mode: ChunkTokenMode;
  /** Milliseconds since the epoch, by the master's clock. */
  expiresAtMs: number;
  /** The user the master handed the token to (callerOf(request).user): for the chunkserver's logs. */
  client: string;
}

/** On the wire: one-letter keys keep the token (and the HMAC over it) short on every data request. */
interface WireClaims {
  h: string;
  v: number;
  m: ChunkTokenMode;
  e: number;
  c: string;
}

export function mintChunkToken(key: Buffer, claims: ChunkTokenClaims): string {
  const wire: WireClaims = {
    h: claims.handle,
    v: claims.version,
    m: claims.mode,
    e: claims.expiresAtMs,
    c: claims.client,
  };
  return seal(key, TOKEN_KIND, wire);
}

/** What a data request does: `handle` and `version` undefined where the request names none (a push names no chunk; a sync no version). */
export interface ChunkAccess {
  handle: string | undefined;
  version: number | undefined;
  mode: ChunkTokenMode;
}

const MODE_NAMES: Record<ChunkTokenMode, string> = { r: 'read', w: 'write' };

/**
 * The token's claims when it allows `access` at `nowMs`; otherwise throws TOKEN_INVALID (missing,
 * malformed, forged, another cluster's), TOKEN_EXPIRED, TOKEN_WRONG_CHUNK (another handle or
 * version) or TOKEN_WRONG_MODE, each with a message that says what was wrong.
 */
export function verifyChunkToken(
  key: Buffer,
  token: string | string[] | undefined,
  access: ChunkAccess,
  nowMs = Date.now(),
  clockSkewMs = CHUNK_TOKEN_CLOCK_SKEW_MS,
): ChunkTokenClaims {
  const subject = access.handle ?? 'push';
  if (token === undefined || token === '') throw new GfsError('TOKEN_INVALID', 'no chunk access token', subject);
  if (typeof token !== 'string') throw new GfsError('TOKEN_INVALID', 'more than one chunk access token', subject);
  const claims = claimsOf(unseal(key, TOKEN_KIND, token));
  if (claims === undefined) {
    throw new GfsError(
      'TOKEN_INVALID',
      "chunk access token is malformed, altered or not made with this cluster's secret",
      subject,
    );
  }
  if (nowMs > claims.expiresAtMs + clockSkewMs) {
    const agoS = Math.round((nowMs - claims.expiresAtMs) / 1000);
    throw new GfsError('TOKEN_EXPIRED', `chunk access token expired ${agoS} s ago`, subject);
  }
  if (access.handle !== undefined && claims.handle !== access.handle) {
    throw new GfsError('TOKEN_WRONG_CHUNK', `chunk access token is for chunk ${claims.handle}`, subject);
  }
  if (access.version !== undefined && claims.version !== access.version) {
    throw new GfsError(
      'TOKEN_WRONG_CHUNK',
      `chunk access token is for version ${claims.version}, the request names ${access.version}`,
      subject,
    );
  }
  if (claims.mode !== access.mode) {
    throw new GfsError(
      'TOKEN_WRONG_MODE',
      `a ${MODE_NAMES[claims.mode]} token cannot ${MODE_NAMES[access.mode]} a chunk`,
      subject,
    );
  }
  return claims;
}

/** Claims of the expected shape, else undefined: a sealed token is ours, but its body is still checked. */
function claimsOf(value: unknown): ChunkTokenClaims | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const wire = value as Partial<WireClaims>;
  if (
    typeof wire.h !== 'string' ||
    !Number.isSafeInteger(wire.v) ||
    (wire.m !== 'r' && wire.m !== 'w') ||
    !Number.isSafeInteger(wire.e) ||
    typeof wire.c !== 'string'
  ) {
    return undefined;
  }
  return {
    handle: wire.h,
    version: wire.v as number,
    mode: wire.m,
    expiresAtMs: wire.e as number,
    client: wire.c,
  };
}
