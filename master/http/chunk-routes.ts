// Chunk routes for clients (shared/protocol/chunks.ts): locations for reads, leases for
// mutations, and the per-chunk list of `gfs stat --chunks`. With `tokens` (a master with a cluster
// secret), locations carry read tokens and leases write tokens for the caller.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { appendLeaseRoute, fileChunksRoute, leaseRoute, locateRoute } from '../../shared/protocol/chunks.js';
import { fileChunks, locateChunks } from '../chunkservers/locate.js';
import type { MasterNode } from '../master-node.js';
import { READ, requireAccess, WRITE } from '../permissions/path-checks.js';
import { callerOf } from './caller.js';
import type { ChunkTokenIssuer } from './chunk-tokens.js';
import { requireUndelegated } from './delegation-check.js';
import { visiblePath } from './visible-path.js';

export function serveChunkRoutes(app: FastifyInstance, node: MasterNode, tokens: ChunkTokenIssuer | null): void {
  serveRoute(app, locateRoute, async (body, request) => {
    const path = visiblePath(body.path);
    requireUndelegated(node.delegations, request, { near: [path] });
    if (!node.gate.isReady()) throw new GfsError('NOT_READY', 'master is waiting for chunk reports', path);
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const caller = callerOf(request);
    requireAccess(node.state, caller, path, READ);
    const reply = locateChunks(node.state, node.registry, body, path);
    return tokens === null ? reply : tokens.withReadTokens(reply, caller.user);
  });

  serveRoute(app, leaseRoute, async (body, request) => {
    const path = visiblePath(body.path);
    requireUndelegated(node.delegations, request, { near: [path] });
    const caller = callerOf(request);
    requireAccess(node.state, caller, path, WRITE);
    const grant = await node.leases.lease(path, body.index);
    return tokens === null ? grant : tokens.withWriteToken(grant, caller.user);
  });

  serveRoute(app, appendLeaseRoute, async (body, request) => {
    const path = visiblePath(body.path);
    requireUndelegated(node.delegations, request, { near: [path] });
    const caller = callerOf(request);
    requireAccess(node.state, caller, path, WRITE);
    const grant = await node.leases.appendLease(path, body.after);
    return tokens === null ? grant : tokens.withWriteToken(grant, caller.user);
  });

  serveRoute(app, fileChunksRoute, async (body, request) => {
    const path = visiblePath(body.path);
    requireUndelegated(node.delegations, request, { near: [path] });
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    requireAccess(node.state, callerOf(request), path, READ);
    return fileChunks(node.state, node.registry, path, (handle) => node.leases.primaryAddressOf(handle));
  });
}
