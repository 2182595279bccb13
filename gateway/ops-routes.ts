// `GET /healthz` and `GET /metrics` on the gateway, as every gfs server answers them (DESIGN §7).
// The registry is returned so gateway metrics can be added to it; today it holds prom-client's
// process defaults (CPU, memory, event loop lag, handles).

import type { Express } from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';

export function serveOpsRoutes(app: Express): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gfs_gateway_' });
  // Ready as soon as it listens: each request reaches the master on its own, and the dashboard
  // shows a master that cannot be reached.
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/metrics', (_req, res, next) => {
    registry.metrics().then((text) => res.type(registry.contentType).send(text), next);
  });
  return registry;
}
