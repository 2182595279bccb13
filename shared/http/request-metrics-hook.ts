// The fastify side of RequestMetrics: an onResponse hook that observes every reply with its route
// pattern (fastify's routeOptions.url, e.g. `/chunk/:handle`), method, status and elapsed time.

import type { FastifyInstance } from 'fastify';
import { type RequestMetrics, UNMATCHED_ROUTE } from '../metrics/request-metrics.js';

export function observeRequests(app: FastifyInstance, metrics: RequestMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.observe(
      request.routeOptions.url ?? UNMATCHED_ROUTE,
      request.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}
