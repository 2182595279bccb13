// A token as `<kind>.<base64url JSON claims>.<base64url HMAC-SHA256>`: readable by anyone (the
// claims are not secret), made or altered only by who holds the key. Chunk access tokens and
// client tokens are both of this form, under different keys and kinds.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** Longer input is refused before any work: a token is a few hundred bytes. */
export const SEALED_TOKEN_CHARS_MAX = 4096;

function mac(key: Buffer, signed: string): Buffer {
  return createHmac('sha256', key).update(signed).digest();
}

export function seal(key: Buffer, kind: string, claims: object): string {
  const signed = `${kind}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signed}.${mac(key, signed).toString('base64url')}`;
}

/** The claims when `token` is a `kind` token made with `key`, else undefined (forged, altered, malformed). */
export function unseal(key: Buffer, kind: string, token: string): unknown {
  if (token.length > SEALED_TOKEN_CHARS_MAX) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== kind) return undefined;
  const signed = `${parts[0]}.${parts[1]}`;
  const given = Buffer.from(parts[2] ?? '', 'base64url');
  const expected = mac(key, signed);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
