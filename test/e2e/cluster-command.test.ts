// `gfs cluster` as a newcomer runs it: prints the master and gateway addresses once every
// chunkserver has registered, serves, and stops every child on SIGTERM with exit 0.

import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runGfs } from '../harness/gfs-cli.js';
import { startGfsCluster } from '../harness/gfs-cluster-process.js';

let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** Starts `gfs cluster` and waits for its two stdout lines; cleanup stops it and removes its data. */
async function startCluster(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ root: string; port: number; lines: string[]; child: ChildProcess; exited: Promise<number | null> }> {
  const root = await mkdtemp(join(tmpdir(), 'gfs-cluster-'));
  cleanup = async () => {
    await rm(root, { recursive: true, force: true });
  };
  const cluster = await startGfsCluster(root, args, env);
  cleanup = async () => {
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  };
  return { root, ...cluster };
}

describe('gfs cluster', () => {
  it('starts a master, 3 chunkservers and the gateway, prints their URLs, and stops on SIGTERM', async () => {
    const { port, lines, child, exited } = await startCluster([]);
    const gatewayUrl = `http://127.0.0.1:${port + 4}`;
    expect(lines).toEqual([`master: http://127.0.0.1:${port}`, `gateway: ${gatewayUrl}`]);

    const status = await runGfs(['--master', `http://127.0.0.1:${port}`, 'status', '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout.toString()) as { chunkservers: { alive: boolean }[] };
    expect(parsed.chunkservers.filter((cs) => cs.alive)).toHaveLength(3);

    expect(
      (await runGfs(['--master', `http://127.0.0.1:${port}`, 'cp', '-', 'gfs:/hello'], { input: 'hi' })).code,
    ).toBe(0);
    expect((await runGfs(['cat', `gfs://127.0.0.1:${port}/hello`])).stdout.toString()).toBe('hi');
    // The gateway serves the same cluster: the file through the REST API, the page, the overview.
    expect(await (await fetch(`${gatewayUrl}/api/v1/files/hello`)).text()).toBe('hi');
    expect(await (await fetch(`${gatewayUrl}/`)).text()).toContain('<title>gfs gateway</title>');
    const overview = (await (await fetch(`${gatewayUrl}/api/v1/cluster`)).json()) as { chunkservers: unknown[] };
    expect(overview.chunkservers).toHaveLength(3);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Every child stopped with it: nothing answers on the cluster's ports any more.
    for (let offset = 0; offset <= 4; offset++) {
      const alive = await fetch(`http://127.0.0.1:${port + offset}/healthz`).then(
        () => true,
        () => false,
      );
      expect(alive, `port ${port + offset}`).toBe(false);
    }
  });

  it('takes its settings from the config file and GFS_* variables, and hands the servers theirs as flags only', async () => {
    const config = join(await mkdtemp(join(tmpdir(), 'gfs-cluster-config-')), 'gfs.json');
    // The chunkserver section and GFS_ADVERTISE are for a chunkserver run on its own: the cluster's
    // children, on loopback, must not see them.
    await writeFile(
      config,
      JSON.stringify({ cluster: { chunkservers: 2, replication: 2 }, chunkserver: { rack: 'not-for-the-cluster' } }),
    );
    try {
      const { port, lines } = await startCluster([], {
        GFS_CONFIG: config,
        GFS_HEARTBEAT: '300ms',
        GFS_ADVERTISE: '203.0.113.9',
      });
      expect(lines).toEqual([`master: http://127.0.0.1:${port}`, `gateway: http://127.0.0.1:${port + 3}`]);
      const master = ['--master', `127.0.0.1:${port}`];
      const status = JSON.parse((await runGfs([...master, 'status', '--json'])).stdout.toString()) as {
        chunkservers: { address: string; rack: string; alive: boolean }[];
      };
      expect(status.chunkservers.map((cs) => [cs.address, cs.rack, cs.alive]).sort()).toEqual([
        [`127.0.0.1:${port + 1}`, '', true],
        [`127.0.0.1:${port + 2}`, '', true],
      ]);
      expect((await runGfs([...master, 'cp', '-', 'gfs:/two'], { input: 'two copies' })).code).toBe(0);
      const stat = JSON.parse((await runGfs([...master, 'stat', '--json', 'gfs:/two'])).stdout.toString()) as {
        replication: number;
      };
      expect(stat.replication).toBe(2);
    } finally {
      await rm(dirname(config), { recursive: true, force: true });
    }
  });
});
