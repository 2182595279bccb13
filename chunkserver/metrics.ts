// Counters of one chunkserver, rendered in the Prometheus text format for GET /metrics.

import type { ScrubProgress } from './scrub/scrubber.js';

export class ChunkserverMetrics {
  bytesWrittenTotal = 0;
  bytesReadTotal = 0;
  checksumFailuresTotal = 0;

  render(gauges: { chunks: number; pushBufferBytes: number; scrub: ScrubProgress }): string {
    const { scrub } = gauges;
    const lines = [
      metric('gfs_chunkserver_chunks', 'gauge', 'Replicas held by this chunkserver.', gauges.chunks),
      metric(
        'gfs_chunkserver_bytes_written_total',
        'counter',
        'Bytes applied to replicas by mutations.',
        this.bytesWrittenTotal,
      ),
      metric('gfs_chunkserver_bytes_read_total', 'counter', 'Bytes served to readers.', this.bytesReadTotal),
      metric(
        'gfs_chunkserver_push_buffer_bytes',
        'gauge',
        'Bytes held or reserved in the push buffer.',
        gauges.pushBufferBytes,
      ),
      metric(
        'gfs_chunkserver_checksum_failures_total',
        'counter',
        'Checksum blocks that failed verification.',
        this.checksumFailuresTotal,
      ),
      metric(
        'gfs_chunkserver_scrub_chunks_due',
        'gauge',
        'Replicas not verified by the scrubber within its interval (all of them after a restart).',
        scrub.chunksDue,
      ),
      metric(
        'gfs_chunkserver_scrub_bytes_verified_total',
        'counter',
        'Bytes the scrubber read and verified.',
        scrub.bytesVerifiedTotal,
      ),
      metric(
        'gfs_chunkserver_scrub_chunks_verified_total',
        'counter',
        'Replicas the scrubber verified whole.',
        scrub.chunksVerifiedTotal,
      ),
      metric(
        'gfs_chunkserver_scrub_corrupt_replicas_total',
        'counter',
        'Replicas the scrubber found corrupt and reported.',
        scrub.corruptFoundTotal,
      ),
      metric(
        'gfs_chunkserver_scrub_interrupted_total',
        'counter',
        'Scrub passes paused because client I/O came in.',
        scrub.interruptedTotal,
      ),
      metric(
        'gfs_chunkserver_scrub_active',
        'gauge',
        '1 while the scrubber is verifying a replica.',
        scrub.active ? 1 : 0,
      ),
    ];
    return `${lines.join('\n')}\n`;
  }
}

function metric(name: string, type: 'gauge' | 'counter', help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`;
}
