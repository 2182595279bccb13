// Operational routes every server has: GET /healthz (200 once ready, 503 NOT_READY during the
// start-up wait) and GET /metrics in Prometheus text format (master/metrics.ts).

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { METRICS_CONTENT_TYPE, type ServerMetrics } from '../../shared/metrics/registry.js';
import { HEALTHZ_URL, METRICS_URL } from '../../shared/protocol/ops.js';
import type { MasterNode } from '../master-node.js';

export function serveOpsRoutes(app: FastifyInstance, node: MasterNode, metrics: ServerMetrics): void {
  app.get(HEALTHZ_URL, async () => {
    if (!node.gate.isReady()) {
      throw new GfsError('NOT_READY', `waiting for chunk reports (${node.gate.waitingFor} chunks unreported)`);
    }
    return { ok: true };
  });

  app.get(METRICS_URL, async (_request, reply) => {
    void reply.header('content-type', METRICS_CONTENT_TYPE);
    return metrics.render();
  });
}
