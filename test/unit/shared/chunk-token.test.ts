import { describe, expect, it } from 'vitest';
import { GfsError } from '../../../shared/errors.js';
import { CHUNK_TOKEN_CLOCK_SKEW_MS } from '../../../shared/limits.js';
import {
  type ChunkAccess,
  type ChunkTokenClaims,
  mintChunkToken,
  verifyChunkToken,
} from '../../../shared/security/chunk-token.js';
import { parseSecret } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { seal } from '../../../shared/security/sealed-token.js';

const keys = deriveClusterKeys(parseSecret('c'.repeat(64), 'test'));
const otherKeys = deriveClusterKeys(parseSecret('d'.repeat(64), 'test'));
const NOW = 1_800_000_000_000;
const claims: ChunkTokenClaims = { handle: '42', version: 3, mode: 'r', expiresAtMs: NOW + 60_000, client: 'root' };
const read: ChunkAccess = { handle: '42', version: 3, mode: 'r' };

function outcome(token: string | string[] | undefined, access: ChunkAccess = read, nowMs = NOW): string {
  try {
    verifyChunkToken(keys.chunkToken, token, access, nowMs);
    return 'accepted';
  } catch (error) {
    if (error instanceof GfsError) return `${error.code}: ${error.message}`;
    throw error;
  }
}

describe('chunk access tokens', () => {
  it('accepts a token for the chunk, version and mode, and returns its claims', () => {
    const token = mintChunkToken(keys.chunkToken, claims);
    expect(verifyChunkToken(keys.chunkToken, token, read, NOW)).toEqual(claims);
    // A push names no chunk and a sync no version: those claims are not compared.
    expect(
      outcome(mintChunkToken(keys.chunkToken, { ...claims, mode: 'w' }), {
        handle: undefined,
        version: undefined,
        mode: 'w',
      }),
    ).toBe('accepted');
    expect(token.length).toBeLessThan(200);
  });

  it('refuses a missing, repeated, malformed, altered or foreign token as TOKEN_INVALID', () => {
    const token = mintChunkToken(keys.chunkToken, claims);
    expect(outcome(undefined)).toBe('TOKEN_INVALID: no chunk access token');
    expect(outcome('')).toBe('TOKEN_INVALID: no chunk access token');
    expect(outcome([token, token])).toMatch(/^TOKEN_INVALID: more than one/);
    expect(outcome('garbage')).toMatch(/^TOKEN_INVALID: chunk access token is malformed/);
    expect(outcome(mintChunkToken(otherKeys.chunkToken, claims))).toMatch(/^TOKEN_INVALID/);
    // Another key of the same cluster (a client token's) makes no chunk token either.
    expect(outcome(mintChunkToken(keys.clientToken, claims))).toMatch(/^TOKEN_INVALID/);
    const [kind, body, mac] = token.split('.');
    const altered = Buffer.from(JSON.stringify({ h: '42', v: 3, m: 'w', e: NOW + 60_000, c: 'root' })).toString(
      'base64url',
    );
    expect(body).not.toBe(altered);
    expect(outcome(`${kind}.${altered}.${mac}`)).toMatch(/^TOKEN_INVALID/);
    // Sealed with the right key but not the claims of a chunk token.
    expect(outcome(seal(keys.chunkToken, 'gfs-chunk-v1', { h: 42, v: 3, m: 'r', e: NOW, c: 'root' }))).toMatch(
      /^TOKEN_INVALID/,
    );
  });

  it('refuses an expired token once the clock-skew allowance has passed', () => {
    const token = mintChunkToken(keys.chunkToken, { ...claims, expiresAtMs: NOW });
    expect(outcome(token, read, NOW + CHUNK_TOKEN_CLOCK_SKEW_MS)).toBe('accepted');
    expect(outcome(token, read, NOW + CHUNK_TOKEN_CLOCK_SKEW_MS + 1_000)).toBe(
      'TOKEN_EXPIRED: chunk access token expired 61 s ago',
    );
  });

  it('refuses a token for another chunk or version as TOKEN_WRONG_CHUNK, and the other mode as TOKEN_WRONG_MODE', () => {
    const token = mintChunkToken(keys.chunkToken, claims);
    expect(outcome(token, { ...read, handle: '43' })).toBe('TOKEN_WRONG_CHUNK: chunk access token is for chunk 42');
    expect(outcome(token, { ...read, version: 4 })).toBe(
      'TOKEN_WRONG_CHUNK: chunk access token is for version 3, the request names 4',
    );
    expect(outcome(token, { ...read, mode: 'w' })).toBe('TOKEN_WRONG_MODE: a read token cannot write a chunk');
    const write = mintChunkToken(keys.chunkToken, { ...claims, mode: 'w' });
    expect(outcome(write)).toBe('TOKEN_WRONG_MODE: a write token cannot read a chunk');
  });
});
