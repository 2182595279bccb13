// `gfs mount --metrics-port P` (issue 6 item 3): FUSE operation counts on GET /metrics at
// 127.0.0.1:P, valid Prometheus text, moving as ordinary tools use the mount; failures counted per
// errno. Without the flag nothing listens.

import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from '../harness/cluster.js';
import { freePort } from '../harness/free-port.js';
import { sh, shOk, stopAllMounts, TestMount } from '../harness/mount.js';
import { type MetricFamily, parsePrometheusText, sampleSum, sampleValue } from '../harness/prometheus.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkservers: 3 });
});

afterAll(async () => {
  await stopAllMounts();
  await cluster?.stop();
});

async function scrape(port: number): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

describe('mount metrics', () => {
  it('counts FUSE operations per operation and failures per errno, on loopback', async () => {
    const port = await freePort();
    const mount = await TestMount.start(cluster, { args: ['--metrics-port', String(port)] });
    const before = await scrape(port);
    expect(before.get('gfs_mount_operations_total')?.type).toBe('counter');
    expect(before.get('process_cpu_user_seconds_total')?.type).toBe('counter');

    await shOk(`printf 'hello metrics\\n' > "${mount.dir}/a.txt" && cat "${mount.dir}/a.txt" && ls "${mount.dir}"`);
    const missing = await sh(`cat "${mount.dir}/no-such-file"`);
    expect(missing.code).not.toBe(0);

    const after = await scrape(port);
    const grew = (name: string, labels: Record<string, string>) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);
    // A new file is mknod + open in libfuse2 (the mount has no create handler).
    for (const op of ['mknod', 'open', 'write', 'read', 'readdir', 'release']) {
      expect(grew('gfs_mount_operations_total', { op }), op).toBeGreaterThan(0);
    }
    expect(sampleValue(after, 'gfs_mount_operation_errors_total', { op: 'getattr', errno: 'ENOENT' })).toBeGreaterThan(
      0,
    );

    await mount.stop();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('refuses a metrics port already in use, in one line, with nothing mounted', async () => {
    const port = cluster.master.port;
    const dir = await mkdtemp(join(tmpdir(), 'gfs-mnt-'));
    try {
      const result = await cluster.gfs(['mount', '--metrics-port', String(port), dir]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`gfs: cannot serve metrics (EADDRINUSE): 127.0.0.1:${port}\n`);
    } finally {
      await rmdir(dir);
    }
  });
});
