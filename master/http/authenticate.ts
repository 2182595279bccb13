// Client authentication at the master (issue 7 item 3): one hook before every route reads
// `Authorization: Bearer <client token>`, verifies it with the cluster's client-token key and
// records the caller (caller.ts). Probes (/healthz, /metrics) stay open for load balancers and
// Prometheus; chunkserver routes (/cs/*) are authenticated by their peer signature instead.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { readClientClaims, verifyClientToken } from '../../shared/security/client-token.js';
import type { ClusterKeys } from '../../shared/security/keys.js';
import { type Caller, INSECURE_CALLER, setCaller } from './caller.js';

/** Paths no client token is asked for. */
export function isOpenPath(path: string): boolean {
  return path === '/healthz' || path === '/metrics' || path.startsWith('/cs/');
}

/** One line that says what to do, as the CLI prints it. */
export const NO_TOKEN_MESSAGE =
  'not authenticated (no client token: run `gfs token create USER --save` on the master host, or set GFS_TOKEN)';

const BEARER = /^Bearer ([^\s]+)$/i;

/** The caller a request's Authorization header proves, or UNAUTHENTICATED. */
export function authenticate(
  keys: Pick<ClusterKeys, 'clientToken'>,
  request: FastifyRequest,
  nowMs = Date.now(),
): Caller {
  const header = request.headers.authorization;
  if (header === undefined || header === '') throw new GfsError('UNAUTHENTICATED', NO_TOKEN_MESSAGE);
  const match = BEARER.exec(header);
  if (match?.[1] === undefined) {
    throw new GfsError('UNAUTHENTICATED', 'not authenticated: the Authorization header is not `Bearer <token>`');
  }
  // No subject: the client names the master it called, which is what the user needs to see.
  const claims = verifyClientToken(keys, match[1], undefined, nowMs);
  return Object.freeze({ user: claims.user, groups: Object.freeze([...claims.groups]), superuser: claims.superuser });
}

/**
 * Tokens already verified, with their callers: a client sends the same token on every request,
 * and its HMAC and claims need checking once, not per stat. Expiry is still checked each time.
 * Bounded: past this many distinct tokens the cache starts over.
 */
const VERIFIED_TOKENS_MAX = 4096;

/** Installs the hook; `keys` null (--insecure) makes every caller the superuser. */
export function authenticateClients(app: FastifyInstance, keys: Pick<ClusterKeys, 'clientToken'> | null): void {
  const verified = new Map<string, { caller: Caller; expiresMs: number }>();
  const callerFor = (request: FastifyRequest, keys: Pick<ClusterKeys, 'clientToken'>): Caller => {
    const header = request.headers.authorization;
    const known = header === undefined ? undefined : verified.get(header);
    const nowMs = Date.now();
    if (known !== undefined && known.expiresMs > nowMs) return known.caller;
    const caller = authenticate(keys, request, nowMs);
    if (header !== undefined) {
      if (verified.size >= VERIFIED_TOKENS_MAX) verified.clear();
      const expires = readClientClaims(header.slice(header.indexOf(' ') + 1))?.expires;
      verified.set(header, { caller, expiresMs: expires ?? Number.POSITIVE_INFINITY });
    }
    return caller;
  };
  // A callback hook, not an async one: it runs on every request (docs/security.md, what it costs).
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      if (!isOpenPath(request.url.split('?')[0] ?? '')) {
        setCaller(request, keys === null ? INSECURE_CALLER : callerFor(request, keys));
      }
      done();
    } catch (error) {
      done(error as Error);
    }
  });
}
