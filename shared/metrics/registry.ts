// Metrics registries for GET /metrics. Each server instance has its own prom-client Registry (never
// the global one): tests run several masters and chunkservers in one process, and each must show
// only its own figures. Node's process metrics (CPU, memory, event-loop lag, GC) are the process's,
// whoever asks, so they are collected once per process and rendered ahead of every server's own.

import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** The Prometheus text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

let processRegistry: Registry | undefined;

/**
 * collectDefaultMetrics enables an event-loop-delay monitor and a GC observer per call and never
 * releases them: one call per process, not one per server, or a test starting dozens of servers
 * would pile them up.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A server's metrics: its own registry, rendered after the process metrics. */
export class ServerMetrics {
  readonly registry = new Registry();

  constructor() {
    processMetrics();
  }

  /** The text for GET /metrics. */
  async render(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${process}\n${own}`;
  }

  /** A gauge whose value is read from state at scrape time. */
  gaugeFrom(name: string, help: string, read: () => number): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /**
   * A counter kept as a plain number by the module that counts (no prom-client call on its hot
   * path), read at scrape time. The number only grows, so the counter's meaning holds.
   */
  counterFrom(name: string, help: string, read: () => number): Counter {
    return new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  }
}
