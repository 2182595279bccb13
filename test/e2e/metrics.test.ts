// GET /metrics of a real cluster (issue 6 item 3): the master's and every chunkserver's text is
// valid Prometheus exposition (a strict parser, test/harness/prometheus.ts), carries the metrics
// docs/metrics.md lists, and its counters move after a write and a read. Request latency is
// labelled by route pattern, never by a raw URL.

import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { type MetricFamily, parsePrometheusText, sampleSum, sampleValue } from '../harness/prometheus.js';

const MiB = 1024 * 1024;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

async function scrape(port: number): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await response.text());
}

function typeOf(families: Map<string, MetricFamily>, name: string): string | undefined {
  return families.get(name)?.type;
}

/** Every route label of the request histogram: patterns, never a path or a chunk handle. */
function routes(families: Map<string, MetricFamily>): Set<string> {
  const family = families.get('gfs_http_request_duration_seconds');
  return new Set(family?.samples.map((sample) => sample.labels.route ?? ''));
}

describe('metrics', () => {
  it('master and chunkservers serve valid Prometheus text whose counters move after a write and a read', async () => {
    cluster = await TestCluster.start({ chunkservers: 3, chunkSize: '1MiB', replication: 3 });
    await cluster.waitReady();
    const masterPort = cluster.master.port;
    const serverPorts = cluster.chunkservers.map((node) => node.port);
    const masterBefore = await scrape(masterPort);
    const serversBefore = await Promise.all(serverPorts.map(scrape));

    // What docs/metrics.md promises, with its type.
    const masterExpected: Record<string, string> = {
      gfs_http_request_duration_seconds: 'histogram',
      gfs_master_oplog_commit_seconds: 'histogram',
      gfs_master_oplog_batch_records: 'histogram',
      gfs_master_lease_grants_total: 'counter',
      gfs_master_chunkserver_heartbeat_age_seconds: 'gauge',
      gfs_master_under_replicated_chunks: 'gauge',
      gfs_master_replication_queue_chunks: 'gauge',
      gfs_master_log_records_total: 'counter',
      gfs_master_chunk_pool_ready: 'gauge',
      process_cpu_user_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(masterExpected)) expect(typeOf(masterBefore, name), name).toBe(type);
    const serverExpected: Record<string, string> = {
      gfs_http_request_duration_seconds: 'histogram',
      gfs_chunkserver_bytes_written_total: 'counter',
      gfs_chunkserver_bytes_read_total: 'counter',
      gfs_chunkserver_bytes_pushed_total: 'counter',
      gfs_chunkserver_push_buffer_bytes: 'gauge',
      gfs_chunkserver_chunks: 'gauge',
      process_resident_memory_bytes: 'gauge',
    };
    for (const families of serversBefore) {
      for (const [name, type] of Object.entries(serverExpected)) expect(typeOf(families, name), name).toBe(type);
    }
    // One heartbeat age per chunkserver, each recent.
    const ages = masterBefore.get('gfs_master_chunkserver_heartbeat_age_seconds')?.samples ?? [];
    expect(ages).toHaveLength(3);
    for (const age of ages) expect(age.value).toBeLessThan(2);

    client = new GfsClient({ master: cluster.masterUrl });
    const data = seededBytes(3 * MiB + 5, 11);
    await client.mkdir('/metrics-dir');
    await client.writeFile('/metrics-dir/file.bin', data);
    expect(Buffer.compare(await client.readFile('/metrics-dir/file.bin'), data)).toBe(0);

    const masterAfter = await scrape(masterPort);
    const serversAfter = await Promise.all(serverPorts.map(scrape));
    const grew = (before: Map<string, MetricFamily>, after: Map<string, MetricFamily>, name: string) =>
      sampleSum(after, name) - sampleSum(before, name);

    expect(grew(masterBefore, masterAfter, 'gfs_master_log_records_total')).toBeGreaterThan(0);
    expect(grew(masterBefore, masterAfter, 'gfs_master_lease_grants_total')).toBeGreaterThanOrEqual(4);
    expect(grew(masterBefore, masterAfter, 'gfs_master_oplog_commit_seconds_count')).toBeGreaterThan(0);
    expect(grew(masterBefore, masterAfter, 'gfs_master_oplog_batch_records_count')).toBeGreaterThan(0);
    expect(grew(masterBefore, masterAfter, 'gfs_http_request_duration_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(masterAfter, 'gfs_master_files')).toBe(1);

    const sum = (all: Map<string, MetricFamily>[], name: string, labels?: Record<string, string>) =>
      all.reduce((total, families) => total + sampleSum(families, name, labels), 0);
    // Three replicas of every byte written; the whole chunks pushed along the chain to each (a
    // small tail may travel inline with its write instead of as a push).
    expect(sum(serversAfter, 'gfs_chunkserver_bytes_written_total')).toBe(3 * data.length);
    const pushed =
      sum(serversAfter, 'gfs_chunkserver_bytes_pushed_total') -
      sum(serversBefore, 'gfs_chunkserver_bytes_pushed_total');
    expect(pushed).toBeGreaterThanOrEqual(3 * 3 * MiB);
    expect(pushed).toBeLessThanOrEqual(3 * data.length);
    expect(sum(serversAfter, 'gfs_chunkserver_bytes_read_total')).toBe(data.length);
    expect(sum(serversAfter, 'gfs_chunkserver_chunks')).toBe(3 * 4);
    // The data path's reads are timed by route pattern, as fastify's routes are.
    const readsTimed = sum(serversAfter, 'gfs_http_request_duration_seconds_count', {
      route: '/chunk/:handle',
      method: 'GET',
      status: '2xx',
    });
    expect(readsTimed).toBeGreaterThanOrEqual(4);

    for (const families of [masterAfter, ...serversAfter]) {
      for (const route of routes(families)) {
        expect(route === 'unmatched' || /^\/[a-z/:-]*$/i.test(route), route).toBe(true);
        expect(route).not.toMatch(/metrics-dir|\/\d/);
      }
    }
  });
});
