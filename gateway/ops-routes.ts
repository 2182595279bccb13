// `GET /healthz` and `GET /metrics` on the gateway, as every gfs server answers them (DESIGN §7),
// and the request latency every gfs server reports (gfs_http_request_duration_seconds), labelled
// by a bounded set of route names taken from the URL's prefix, never by the path it names.

import type { Express, Request } from 'express';
import { METRICS_CONTENT_TYPE, ServerMetrics } from '../shared/metrics/registry.js';
import { RequestMetrics, UNMATCHED_ROUTE } from '../shared/metrics/request-metrics.js';
import { HEALTHZ_URL, METRICS_URL } from '../shared/protocol/ops.js';
import { CLUSTER_ROUTE } from './dashboard-routes.js';
import { FILES_PREFIX } from './file-routes.js';

/** Route labels: fixed prefixes, then the dashboard's static files. */
const NAMED_ROUTES = [`${FILES_PREFIX}/`, CLUSTER_ROUTE, HEALTHZ_URL, METRICS_URL];

export function serveOpsRoutes(app: Express): RequestMetrics {
  const metrics = new ServerMetrics();
  const requests = new RequestMetrics(metrics.registry);
  app.use((req, res, next) => {
    const startedAt = process.hrtime.bigint();
    res.on('close', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      requests.observe(routeOf(req, res.statusCode), req.method, res.statusCode, seconds);
    });
    next();
  });
  // Ready as soon as it listens: each request reaches the master on its own, and the dashboard
  // shows a master that cannot be reached.
  app.get(HEALTHZ_URL, (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get(METRICS_URL, (_req, res, next) => {
    metrics.render().then((text) => res.type(METRICS_CONTENT_TYPE).send(text), next);
  });
  return requests;
}

function routeOf(req: Request, status: number): string {
  const url = req.originalUrl.split('?')[0] ?? '';
  const named = NAMED_ROUTES.find((route) => url === route || url.startsWith(route));
  if (named !== undefined) return named === `${FILES_PREFIX}/` ? `${FILES_PREFIX}/*path` : named;
  return status < 400 ? 'dashboard files' : UNMATCHED_ROUTE;
}
