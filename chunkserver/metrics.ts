// A chunkserver's metrics for GET /metrics: its own prom-client registry (ServerMetrics), request
// latency per route (fastify routes and the bare data path alike), and counters the data path
// bumps as plain numbers (no prom-client call per request), read at scrape time together with
// the gauges. Every metric is listed in docs/metrics.md.

import { ServerMetrics } from '../shared/metrics/registry.js';
import { RequestMetrics } from '../shared/metrics/request-metrics.js';
import type { ScrubProgress } from './scrub/scrubber.js';

/** What the gauges read at scrape time. */
export interface ChunkserverGauges {
  chunks: () => number;
  pushBufferBytes: () => number;
  pushBufferBytesMax: number;
  scrub: () => ScrubProgress;
}

export class ChunkserverMetrics {
  readonly server = new ServerMetrics();
  readonly requests = new RequestMetrics(this.server.registry);
  bytesWrittenTotal = 0;
  bytesReadTotal = 0;
  bytesPushedTotal = 0;
  checksumFailuresTotal = 0;

  watch(gauges: ChunkserverGauges): void {
    const { server } = this;
    server.gaugeFrom('gfs_chunkserver_chunks', 'Replicas held by this chunkserver.', gauges.chunks);
    server.counterFrom(
      'gfs_chunkserver_bytes_written_total',
      'Bytes applied to replicas by mutations.',
      () => this.bytesWrittenTotal,
    );
    server.counterFrom('gfs_chunkserver_bytes_read_total', 'Bytes served to readers.', () => this.bytesReadTotal);
    server.counterFrom(
      'gfs_chunkserver_bytes_pushed_total',
      'Bytes received by pushes into the push buffer (data flow, before any write).',
      () => this.bytesPushedTotal,
    );
    server.gaugeFrom(
      'gfs_chunkserver_push_buffer_bytes',
      'Bytes held or reserved in the push buffer.',
      gauges.pushBufferBytes,
    );
    server.gaugeFrom(
      'gfs_chunkserver_push_buffer_bytes_max',
      'Capacity of the push buffer; pushes beyond it are refused BUSY.',
      () => gauges.pushBufferBytesMax,
    );
    server.counterFrom(
      'gfs_chunkserver_checksum_failures_total',
      'Checksum blocks that failed verification.',
      () => this.checksumFailuresTotal,
    );
    const scrub = gauges.scrub;
    server.gaugeFrom(
      'gfs_chunkserver_scrub_chunks_due',
      'Replicas not verified by the scrubber within its interval (all of them after a restart).',
      () => scrub().chunksDue,
    );
    server.counterFrom(
      'gfs_chunkserver_scrub_bytes_verified_total',
      'Bytes the scrubber read and verified.',
      () => scrub().bytesVerifiedTotal,
    );
    server.counterFrom(
      'gfs_chunkserver_scrub_chunks_verified_total',
      'Replicas the scrubber verified whole.',
      () => scrub().chunksVerifiedTotal,
    );
    server.counterFrom(
      'gfs_chunkserver_scrub_corrupt_replicas_total',
      'Replicas the scrubber found corrupt and reported.',
      () => scrub().corruptFoundTotal,
    );
    server.counterFrom(
      'gfs_chunkserver_scrub_interrupted_total',
      'Scrub passes paused because client I/O came in.',
      () => scrub().interruptedTotal,
    );
    server.gaugeFrom('gfs_chunkserver_scrub_active', '1 while the scrubber is verifying a replica.', () =>
      scrub().active ? 1 : 0,
    );
  }
}
