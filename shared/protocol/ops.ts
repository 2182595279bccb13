// The operational routes every gfs server answers (DESIGN §7): readiness and Prometheus metrics.

/** 200 once the server is ready (the master after its start-up wait, a chunkserver once registered). */
export const HEALTHZ_URL = '/healthz';
/** Prometheus text format (docs/metrics.md). */
export const METRICS_URL = '/metrics';
