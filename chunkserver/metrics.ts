// Counters of one chunkserver, rendered in the Prometheus text format for GET /metrics.

export class ChunkserverMetrics {
  bytesWrittenTotal = 0;
  bytesReadTotal = 0;
  checksumFailuresTotal = 0;

  render(gauges: { chunks: number; pushBufferBytes: number }): string {
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
    ];
    return `${lines.join('\n')}\n`;
  }
}

function metric(name: string, type: 'gauge' | 'counter', help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`;
}
