// HMAC signatures on server-to-server requests (issue 7 item 1): a chunkserver registering or
// heartbeating, the master ordering a chunkserver, a primary forwarding to its secondaries. The MAC
// covers method, path with query, the body's SHA-256, a timestamp and a random nonce, so an
// altered request fails the MAC, an old one fails the clock window, and a replayed one is caught
// by the nonce it already used.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GfsError } from '../errors.js';

export const PEER_DATE_HEADER = 'x-gfs-peer-date';
export const PEER_NONCE_HEADER = 'x-gfs-peer-nonce';
export const PEER_BODY_HEADER = 'x-gfs-peer-body-sha256';
export const PEER_SIGNATURE_HEADER = 'x-gfs-peer-signature';

/**
 * How far a request's timestamp may be from the receiver's clock. Servers of one cluster are
 * expected to run NTP (docs/security.md); a minute tolerates drift and slow delivery alike.
 */
export const PEER_CLOCK_SKEW_MS = 60_000;

const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const DIGEST_PATTERN = /^[0-9a-f]{64}$/;

export type PeerHeaders = Record<
  typeof PEER_DATE_HEADER | typeof PEER_NONCE_HEADER | typeof PEER_BODY_HEADER | typeof PEER_SIGNATURE_HEADER,
  string
>;

export function sha256Hex(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** SHA-256 of the first `bytes` bytes of `pieces` (a body received into buffers that may be larger). */
export function sha256Of(pieces: readonly Uint8Array[], bytes: number): string {
  const hash = createHash('sha256');
  let left = bytes;
  for (const piece of pieces) {
    if (left <= 0) break;
    const used = Math.min(piece.length, left);
    hash.update(used === piece.length ? piece : piece.subarray(0, used));
    left -= used;
  }
  return hash.digest('hex');
}

/** SHA-256 of an empty body: what a GET (or a body-less POST) is signed with. */
export const EMPTY_BODY_SHA256 = sha256Hex('');

function canonical(method: string, pathAndQuery: string, bodySha256: string, date: string, nonce: string): string {
  return `gfs-peer-v1\n${method.toUpperCase()}\n${pathAndQuery}\n${bodySha256}\n${date}\n${nonce}`;
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

/** The headers that sign a request; `body` is the exact bytes sent (none: an empty body). */
export function signPeerRequest(
  key: Buffer,
  method: string,
  pathAndQuery: string,
  body: Uint8Array | string = '',
  nowMs = Date.now(),
): PeerHeaders {
  const bodySha256 = typeof body === 'string' && body === '' ? EMPTY_BODY_SHA256 : sha256Hex(body);
  const date = String(nowMs);
  const nonce = randomBytes(16).toString('base64url');
  return {
    [PEER_DATE_HEADER]: date,
    [PEER_NONCE_HEADER]: nonce,
    [PEER_BODY_HEADER]: bodySha256,
    [PEER_SIGNATURE_HEADER]: mac(key, canonical(method, pathAndQuery, bodySha256, date, nonce)).toString('base64url'),
  };
}

/** True when the request carries a peer signature at all (it may still be invalid). */
export function hasPeerSignature(headers: Record<string, string | string[] | undefined>): boolean {
  return headers[PEER_SIGNATURE_HEADER] !== undefined;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Nonces seen within the clock window, in two generations that rotate every window: a nonce is
 * remembered for at least one window and at most two, which covers every timestamp the window
 * admits, with memory bounded by the request rate rather than by uptime.
 */
export class ReplayGuard {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotatedAtMs: number;

  constructor(
    private readonly windowMs = PEER_CLOCK_SKEW_MS * 2,
    nowMs = Date.now(),
  ) {
    this.rotatedAtMs = nowMs;
  }

  /** Records the nonce; false when it was seen already (a replay). */
  admit(nonce: string, nowMs = Date.now()): boolean {
    if (nowMs - this.rotatedAtMs >= this.windowMs) {
      this.previous = nowMs - this.rotatedAtMs >= 2 * this.windowMs ? new Set() : this.current;
      this.current = new Set();
      this.rotatedAtMs = nowMs;
    }
    if (this.current.has(nonce) || this.previous.has(nonce)) return false;
    this.current.add(nonce);
    return true;
  }
}

function refused(why: string, subject: string): GfsError {
  return new GfsError('UNAUTHENTICATED', `peer request refused: ${why}`, subject);
}

/**
 * The bytes that arrived against the digest a signature (already verified with `bodySha256`
 * undefined) covers: for servers that check the headers before reading the body. `bodySha256`
 * undefined means the body could not be digested, which is refused too.
 */
export function verifyPeerBody(
  headers: Record<string, string | string[] | undefined>,
  bodySha256: string | undefined,
  subject: string,
): void {
  if (bodySha256 === undefined || header(headers, PEER_BODY_HEADER) !== bodySha256) {
    throw refused('body does not match its signature', subject);
  }
}

/**
 * Checks a signed request; throws UNAUTHENTICATED naming what failed. `bodySha256` is the digest of
 * the bytes that actually arrived (compared with the signed one), or undefined when the caller
 * checks the body against PEER_BODY_HEADER itself once it has read it (streamed bodies).
 */
export function verifyPeerRequest(
  key: Buffer,
  guard: ReplayGuard,
  request: {
    method: string;
    pathAndQuery: string;
    headers: Record<string, string | string[] | undefined>;
    bodySha256: string | undefined;
  },
  nowMs = Date.now(),
): void {
  const subject = `${request.method} ${request.pathAndQuery.split('?')[0] ?? ''}`;
  const date = header(request.headers, PEER_DATE_HEADER);
  const nonce = header(request.headers, PEER_NONCE_HEADER);
  const signedBody = header(request.headers, PEER_BODY_HEADER);
  const signature = header(request.headers, PEER_SIGNATURE_HEADER);
  if (date === undefined || nonce === undefined || signedBody === undefined || signature === undefined) {
    throw refused('not signed with the cluster secret', subject);
  }
  if (!/^\d{1,16}$/.test(date) || !NONCE_PATTERN.test(nonce) || !DIGEST_PATTERN.test(signedBody)) {
    throw refused('malformed signature headers', subject);
  }
  if (!SIGNATURE_PATTERN.test(signature)) throw refused('malformed signature', subject);
  const expected = mac(key, canonical(request.method, request.pathAndQuery, signedBody, date, nonce));
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw refused('bad signature (altered, or signed with another secret)', subject);
  }
  if (request.bodySha256 !== undefined && request.bodySha256 !== signedBody) {
    throw refused('body does not match its signature', subject);
  }
  if (Math.abs(nowMs - Number(date)) > PEER_CLOCK_SKEW_MS) {
    throw refused(`timestamp more than ${PEER_CLOCK_SKEW_MS / 1000} s from this server's clock`, subject);
  }
  if (!guard.admit(nonce, nowMs)) throw refused('replayed (nonce already used)', subject);
}
