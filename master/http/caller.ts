// Who sent a request to the master (issue 7 item 3). The authentication hook (authenticate.ts)
// sets it on every client request; handlers read it with callerOf to check permissions and to
// name the client in chunk access tokens. A master started with --insecure treats every caller as
// a superuser.

import type { FastifyRequest } from 'fastify';
import { GfsError } from '../../shared/errors.js';

export interface Caller {
  /** The user a client token names (`gfs token create USER`); a server's id for peer requests. */
  readonly user: string;
  readonly groups: readonly string[];
  /** Passes every permission check, as root does locally and HDFS's superuser does. */
  readonly superuser: boolean;
}

/** The superuser's name: owner and group of `/` and of entries logged before owners existed. */
export const SUPERUSER_NAME = 'root';

/** Every caller of a master running with --insecure. */
export const INSECURE_CALLER: Caller = Object.freeze({
  user: SUPERUSER_NAME,
  groups: Object.freeze([SUPERUSER_NAME]),
  superuser: true,
});

const callers = new WeakMap<FastifyRequest, Caller>();

export function setCaller(request: FastifyRequest, caller: Caller): void {
  callers.set(request, caller);
}

/**
 * The caller the authentication hook found. The hook sets one on every request it lets through
 * (INSECURE_CALLER under --insecure), so a handler reached without one is a route the hook skips
 * (or a bug): it is refused rather than served as the superuser.
 */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  if (caller === undefined) throw new GfsError('INTERNAL', 'request has no authenticated caller', request.url);
  return caller;
}
