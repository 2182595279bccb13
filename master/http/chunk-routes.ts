// Chunk routes for clients (shared/protocol/chunks.ts): locations for reads, leases for
// mutations, and the per-chunk list of `gfs stat --chunks`.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { appendLeaseRoute, fileChunksRoute, leaseRoute, locateRoute } from '../../shared/protocol/chunks.js';
import { fileChunks, locateChunks } from '../chunkservers/locate.js';
import type { MasterNode } from '../master-node.js';
import { READ, requireAccess, WRITE } from '../permissions/path-checks.js';
import { callerOf } from './caller.js';
import { visiblePath } from './visible-path.js';

export function serveChunkRoutes(app: FastifyInstance, node: MasterNode): void {
  serveRoute(app, locateRoute, async (body, request) => {
    const path = visiblePath(body.path);
    if (!node.gate.isReady()) throw new GfsError('NOT_READY', 'master is waiting for chunk reports', path);
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    requireAccess(node.state, callerOf(request), path, READ);
    return locateChunks(node.state, node.registry, body, path);
  });

  serveRoute(app, leaseRoute, async (body, request) => {
    const path = visiblePath(body.path);
    requireAccess(node.state, callerOf(request), path, WRITE);
    return node.leases.lease(path, body.index);
  });

  serveRoute(app, appendLeaseRoute, async (body, request) => {
    const path = visiblePath(body.path);
    requireAccess(node.state, callerOf(request), path, WRITE);
    return node.leases.appendLease(path, body.after);
  });

  serveRoute(app, fileChunksRoute, async (body, request) => {
    const path = visiblePath(body.path);
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    requireAccess(node.state, callerOf(request), path, READ);
    return fileChunks(node.state, node.registry, path, (handle) => node.leases.primaryAddressOf(handle));
  });
}
