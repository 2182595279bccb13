// Per-route request latency, the same for every HTTP surface (master and chunkserver on fastify,
// the chunkserver's bare node:http data path, the web gateway on express): one histogram labelled
// by route pattern, method and status class. Route patterns, never raw URLs: a raw URL carries a
// path or a chunk handle, and a label per value would grow without bound.

import { Histogram, type Registry } from 'prom-client';

/**
 * Seconds: from a 0.5 ms control call on loopback to a 30 s transfer of a slow client. Buckets
 * are fixed for the life of a series, so they span every route's range.
 */
export const REQUEST_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** The route label of requests no route matched (a 404 of an unknown URL). */
export const UNMATCHED_ROUTE = 'unmatched';

export class RequestMetrics {
  private readonly histogram: Histogram<'route' | 'method' | 'status'>;

  constructor(registry: Registry) {
    this.histogram = new Histogram({
      name: 'gfs_http_request_duration_seconds',
      help: 'Time from a request arriving to its reply sent, by route pattern, method and status class (2xx, 4xx, 5xx)',
      labelNames: ['route', 'method', 'status'],
      buckets: REQUEST_SECONDS_BUCKETS,
      registers: [registry],
    });
  }

  /** One request done: `route` is the pattern (`/chunk/:handle`), never the URL itself. */
  observe(route: string, method: string, status: number, seconds: number): void {
    this.histogram.observe({ route, method, status: statusClass(status) }, seconds);
  }
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
