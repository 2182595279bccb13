// The delegation conflict check as a route runs it (master/delegations): the requester is the
// holder its HOLDER_HEADER names, whose requests in its own delegated directories pass. Every
// route that takes a client's path runs it first, before anything with effects.

import type { FastifyRequest } from 'fastify';
import { HOLDER_HEADER } from '../../shared/protocol/delegations.js';
import type { Delegations, Reach } from '../delegations/delegations.js';

/**
 * The header's holder id; undefined when absent (or repeated: not one holder). It is not checked
 * further: an id no delegation was granted to matches none, as no header at all does.
 */
export function holderOf(request: FastifyRequest): string | undefined {
  const value = request.headers[HOLDER_HEADER];
  return typeof value === 'string' ? value : undefined;
}

/** DELEGATED (and a recall) when the request touches a directory another client holds. */
export function requireUndelegated(delegations: Delegations, request: FastifyRequest, reach: Reach): void {
  delegations.require(holderOf(request), reach);
}
