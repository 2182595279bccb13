// The chunkserver's fastify routes: mutations, grants, clones, lease revocation and copy-on-write
// copies from the shared protocol definitions, plus GET /healthz (200 once registered with the
// master) and GET /metrics.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { METRICS_CONTENT_TYPE, type ServerMetrics } from '../../shared/metrics/registry.js';
import {
  appendRoute,
  applyBatchRoute,
  applyRoute,
  chunkApplyTruncateRoute,
  chunkTruncateRoute,
  cloneRoute,
  copyLocalRoute,
  grantBatchRoute,
  grantRoute,
  padRoute,
  revokeRoute,
  syncRoute,
  writeRoute,
} from '../../shared/protocol/data.js';
import { HEALTHZ_URL, METRICS_URL } from '../../shared/protocol/ops.js';
import type { Mutator } from '../mutation/mutator.js';
import type { PushBuffer } from '../push/push-buffer.js';
import type { Cloner } from '../replication/cloner.js';
import type { ChunkStore } from '../store/chunk-store.js';
import type { ChunkAccessCheck } from './chunk-access.js';

export interface ControlDeps {
  mutator: Mutator;
  cloner: Cloner;
  store: ChunkStore;
  isReady: () => boolean;
  metrics: ServerMetrics;
  access: ChunkAccessCheck;
  buffer: PushBuffer;
}

export function registerControlRoutes(app: FastifyInstance, deps: ControlDeps): void {
  const { mutator, access, buffer } = deps;
  // Client mutations need a write token for the chunk and version they name; pushed data is
  // written only to the chunk its push's token named.
  serveRoute(app, writeRoute, async (body, request) => {
    access.check(request.headers, { handle: body.handle, version: body.version, mode: 'w' });
    buffer.checkPushedFor(body.dataId, body.handle);
    return mutator.write(body);
  });
  serveRoute(app, applyRoute, (body) => mutator.apply(body));
  serveRoute(app, applyBatchRoute, (body) => mutator.applyBatch(body.mutations));
  serveRoute(app, appendRoute, async (body, request) => {
    access.check(request.headers, { handle: body.handle, version: body.version, mode: 'w' });
    buffer.checkPushedFor(body.dataId, body.handle);
    return mutator.append(body);
  });
  serveRoute(app, padRoute, (body) => mutator.pad(body));
  serveRoute(app, grantRoute, (body) => mutator.grant(body, Date.now()));
  serveRoute(app, grantBatchRoute, (body) => mutator.grantBatch(body.grants, Date.now()));
  // A sync names no version: a write token for the chunk at any version may flush it.
  serveRoute(app, syncRoute, async (body, request) => {
    access.check(request.headers, { handle: body.handle, version: undefined, mode: 'w' });
    return mutator.sync(body.handle);
  });
  serveRoute(app, chunkTruncateRoute, (body) => mutator.truncate(body));
  serveRoute(app, chunkApplyTruncateRoute, (body) => mutator.applyTruncate(body));
  serveRoute(app, cloneRoute, (body) => deps.cloner.clone(body));
  serveRoute(app, revokeRoute, (body) => mutator.revoke(body));
  serveRoute(app, copyLocalRoute, async (body) => ({
    sizeBytes: await deps.store.copyLocal(body.from, body.to, body.version),
  }));
  app.get(HEALTHZ_URL, async (_request, reply) => {
    if (!deps.isReady()) throw new GfsError('NOT_READY', 'not yet registered with the master');
    return reply.type('text/plain').send('ok\n');
  });
  app.get(METRICS_URL, async (_request, reply) => reply.type(METRICS_CONTENT_TYPE).send(await deps.metrics.render()));
}
