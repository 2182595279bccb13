// Client (user) tokens (issue 7 item 3): a sealed token (sealed-token.ts) under the cluster's
// client-token key naming a user, their groups and whether they are a superuser. The master
// trusts what a token it can verify says, as HDFS trusts a delegation token: there is no user
// database, so who a user is and which groups they are in is decided when the token is made.

import { randomBytes } from 'node:crypto';
import { GfsError } from '../errors.js';
import type { ClusterKeys } from './keys.js';
import { seal, unseal } from './sealed-token.js';

/** The kind a client token is sealed as: never accepted where a chunk token is expected. */
export const CLIENT_TOKEN_KIND = 'gfsuser';

/** Letters, digits, `.`, `_`, `-`, starting with a letter, digit or `_`: safe in paths, logs and /etc/passwd. */
const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
export const NAME_CHARS_MAX = 64;
/** A token stays well under SEALED_TOKEN_CHARS_MAX with this many groups of the longest names. */
export const GROUPS_MAX = 32;

export interface ClientClaims {
  /** Random: names the token in logs without showing it. */
  readonly id: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly superuser: boolean;
  /** Milliseconds since the epoch. */
  readonly issued: number;
  /** Milliseconds since the epoch; absent: never expires. */
  readonly expires?: number;
}

/** A user or group name, or an INVALID_ARGUMENT naming what is wrong with it. */
export function validName(name: string, what: 'user' | 'group'): string {
  if (name.length === 0 || name.length > NAME_CHARS_MAX || !NAME_PATTERN.test(name)) {
    throw new GfsError(
      'INVALID_ARGUMENT',
      `invalid ${what} name (1-${NAME_CHARS_MAX} of A-Z a-z 0-9 . _ -, not starting with . or -)`,
      name,
    );
  }
  return name;
}

export interface ClientTokenRequest {
  user: string;
  groups?: readonly string[];
  superuser?: boolean;
  /** How long the token is valid, in ms; absent: no expiry. */
  validForMs?: number;
}

export function mintClientToken(
  keys: Pick<ClusterKeys, 'clientToken'>,
  request: ClientTokenRequest,
  nowMs = Date.now(),
): string {
  const user = validName(request.user, 'user');
  const groups = [...new Set(request.groups ?? [user])].map((group) => validName(group, 'group'));
  if (groups.length > GROUPS_MAX) {
    throw new GfsError('INVALID_ARGUMENT', `at most ${GROUPS_MAX} groups`, String(groups.length));
  }
  const validForMs = request.validForMs;
  if (validForMs !== undefined && !(Number.isSafeInteger(validForMs) && validForMs > 0)) {
    throw new GfsError('INVALID_ARGUMENT', 'a token must be valid for a positive time', String(validForMs));
  }
  const claims: ClientClaims = {
    id: randomBytes(9).toString('base64url'),
    user,
    groups,
    superuser: request.superuser === true,
    issued: nowMs,
    ...(validForMs === undefined ? {} : { expires: nowMs + validForMs }),
  };
  return seal(keys.clientToken, CLIENT_TOKEN_KIND, claims);
}

function isClaims(value: unknown): value is ClientClaims {
  if (typeof value !== 'object' || value === null) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.id === 'string' &&
    typeof claims.user === 'string' &&
    NAME_PATTERN.test(claims.user) &&
    Array.isArray(claims.groups) &&
    claims.groups.every((group) => typeof group === 'string' && NAME_PATTERN.test(group)) &&
    typeof claims.superuser === 'boolean' &&
    typeof claims.issued === 'number' &&
    (claims.expires === undefined || typeof claims.expires === 'number')
  );
}

/**
 * The claims of a valid, unexpired token; UNAUTHENTICATED otherwise, saying which (a message a
 * user can act on, never the token itself).
 */
export function verifyClientToken(
  keys: Pick<ClusterKeys, 'clientToken'>,
  token: string,
  subject?: string,
  nowMs = Date.now(),
): ClientClaims {
  const claims = unseal(keys.clientToken, CLIENT_TOKEN_KIND, token);
  if (!isClaims(claims)) {
    throw new GfsError(
      'UNAUTHENTICATED',
      'not authenticated: the client token is invalid (forged, altered, or for another cluster)',
      subject,
    );
  }
  if (claims.expires !== undefined && claims.expires <= nowMs) {
    throw new GfsError(
      'UNAUTHENTICATED',
      `not authenticated: the client token of ${claims.user} expired at ${new Date(claims.expires).toISOString()}`,
      subject,
    );
  }
  return claims;
}

/**
 * What a token says, read without checking it (a client learning its own user name, e.g. the mount
 * mapping owners to local ids); undefined when it is not a client token at all. Only the master's
 * verifyClientToken decides what a token is worth.
 */
export function readClientClaims(token: string): ClientClaims | undefined {
  const [kind, body] = token.split('.');
  if (kind !== CLIENT_TOKEN_KIND || body === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    return isClaims(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}
