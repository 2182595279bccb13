// Delegation routes (shared/protocol/delegations.ts): grant, renewal, return and the recall
// long-poll. Grants and renewals are logged with their absolute expiry, so a restarted master
// still knows them; recalls live in memory (master/delegations).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serveRoute } from '../../shared/http/server.js';
import { DELEGATION_TERM_MS, LIST_ENTRIES_MAX } from '../../shared/limits.js';
import { normalizePath, ROOT_PATH } from '../../shared/paths.js';
import {
  delegateRoute,
  delegationRecallsRoute,
  delegationRenewRoute,
  delegationReturnRoute,
} from '../../shared/protocol/delegations.js';
import type { MasterNode } from '../master-node.js';
import { EXECUTE, requireAccess, WRITE } from '../permissions/path-checks.js';
import { isTrashPath } from '../state/trash.js';
import { callerOf } from './caller.js';

const REFUSED = { granted: false, expiresAtMs: 0, names: [] };

/**
 * Chunks the pool fills up to when a directory is delegated: what a mount sends at once and then
 * some (its 8 in flight draw on the pool while the refill runs).
 */
const WRITE_BACK_CHUNKS_ANTICIPATED = 32;

export function serveDelegationRoutes(app: FastifyInstance, node: MasterNode): void {
  const clock = node.options.clock;
  const state = node.state;
  const delegations = node.delegations;
  let stopping = false;
  // Long-polls end before the server waits for requests in flight to finish.
  app.addHook('preClose', (done) => {
    stopping = true;
    delegations.close();
    done();
  });

  // Refusals a client can do nothing about but work without a delegation are `granted: false`;
  // errors are for requests it may not make (a malformed path, no write permission).
  serveRoute(app, delegateRoute, async (body, request) => {
    const path = normalizePath(body.path);
    // The holder answers creates in it from memory: only someone who may create there may hold it.
    requireAccess(state, callerOf(request), path, WRITE | EXECUTE);
    if (path === ROOT_PATH || isTrashPath(path)) return REFUSED;
    const names = state.children.get(path);
    if (state.entries.get(path)?.type !== 'dir' || names === undefined || names.size > LIST_ENTRIES_MAX) return REFUSED;
    const nowMs = clock();
    const held = delegations.live(path, nowMs);
    if ((held !== undefined && held.holder !== body.holder) || !delegations.mayGrant(path, nowMs)) return REFUSED;
    const expiresAtMs = nowMs + DELEGATION_TERM_MS;
    delegations.forgetRecall(path);
    // The names as the record applies (commit applies before its first await): no create slips
    // in between the listing and the grant.
    const listed = [...names].sort();
    await node.commit({ op: 'delegate', holder: body.holder, paths: [path], expiresAtMs });
    // Its holder will send the files it creates there several at a time: chunks ready for them.
    node.leases.pool.anticipate(WRITE_BACK_CHUNKS_ANTICIPATED);
    return { granted: true, expiresAtMs, names: listed };
  });

  serveRoute(app, delegationRenewRoute, async (body) => {
    const nowMs = clock();
    const held: string[] = [];
    const recalled: string[] = [];
    const lost: string[] = [];
    const byExpiry = new Map<number, string[]>();
    for (const path of new Set(body.paths.map(normalizePath))) {
      if (delegations.live(path, nowMs)?.holder !== body.holder) {
        lost.push(path);
        continue;
      }
      held.push(path);
      if (delegations.recalledAtMs(path, nowMs) !== undefined) recalled.push(path);
      const expiresAtMs = delegations.renewedExpiryMs(path, nowMs);
      byExpiry.set(expiresAtMs, [...(byExpiry.get(expiresAtMs) ?? []), path]);
    }
    // One record per expiry: one for them all unless some are recalled (capped at their bound,
    // before the `expiresAtMs` answered: the holder knows the bound, and is returning them).
    // Committed in one step, so no delete applies between them.
    await Promise.all(
      [...byExpiry].map(([expiresAtMs, paths]) =>
        node.commit({ op: 'delegate', holder: body.holder, paths, expiresAtMs }),
      ),
    );
    return { held, recalled, lost, expiresAtMs: nowMs + DELEGATION_TERM_MS };
  });

  serveRoute(app, delegationReturnRoute, async (body) => {
    const path = normalizePath(body.path);
    if (state.delegations.get(path)?.holder !== body.holder) return {};
    delegations.returned(path);
    await node.commit({ op: 'undelegate', path });
    return {};
  });

  // In a context of its own, so that its hook costs the other routes nothing.
  app.register(async (longPolls) => {
    // A long-poll ended by the stop answers while the server is closing: its connection is busy
    // then, so closing the idle ones leaves it open, and the stop would wait for the client to
    // drop it (a keep-alive timeout). Told to close, the client drops it at once.
    longPolls.addHook('onSend', (_request, reply, payload, done) => {
      if (stopping) void reply.header('connection', 'close');
      done(null, payload);
    });
    serveRoute(longPolls, delegationRecallsRoute, async (body, request) => {
      const closed = closeSignal(request);
      try {
        return { recalled: await delegations.recallsFor(body.holder, body.waitMs, closed.signal) };
      } finally {
        closed.release();
      }
    });
  });
}

/**
 * Aborts when the client goes away mid-wait. Watches the socket: an IncomingMessage's 'close'
 * comes as soon as its body has been read, long before the client leaves.
 */
function closeSignal(request: FastifyRequest): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const socket = request.raw.socket;
  const abort = () => controller.abort();
  socket.once('close', abort);
  return { signal: controller.signal, release: () => socket.removeListener('close', abort) };
}
