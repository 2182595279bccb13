// Who sent a request to the master (issue 7 item 3). An authentication hook (client tokens) sets
// it on each request; handlers read it with callerOf to check permissions and to name the client
// in chunk access tokens. A master started with --insecure treats every caller as a superuser.

import type { FastifyRequest } from 'fastify';

export interface Caller {
  /** The user a client token names (`gfs token create USER`); a server's id for peer requests. */
  readonly user: string;
  readonly groups: readonly string[];
  /** Passes every permission check, as root does locally and HDFS's superuser does. */
  readonly superuser: boolean;
}

/** Every caller of a master running with --insecure. */
export const INSECURE_CALLER: Caller = Object.freeze({ user: 'root', groups: ['root'], superuser: true });

const callers = new WeakMap<FastifyRequest, Caller>();

export function setCaller(request: FastifyRequest, caller: Caller): void {
  callers.set(request, caller);
}

/**
 * The caller the authentication hook found. A request that reached a handler without one came
 * through a master with no authentication installed (--insecure).
 */
export function callerOf(request: FastifyRequest): Caller {
  return callers.get(request) ?? INSECURE_CALLER;
}
