// `gfs cluster` as a newcomer runs it: prints the master and gateway addresses once every
// chunkserver has registered, serves, and stops every child on SIGTERM with exit 0.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePortRun } from '../harness/free-port.js';
import { GFS_BIN, runGfs } from '../harness/gfs-cli.js';
import { waitFor } from '../harness/wait.js';

let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('gfs cluster', () => {
  it('starts a master, 3 chunkservers and the gateway, prints their URLs, and stops on SIGTERM', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gfs-cluster-'));
    const port = await freePortRun(5);
    const child = spawn(process.execPath, [GFS_BIN, 'cluster', '--data', root, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    cleanup = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    };
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (piece: Buffer) => {
      stdout += piece.toString();
    });
    child.stderr.on('data', (piece: Buffer) => {
      stderr = (stderr + piece.toString()).slice(-4000);
    });
    await waitFor(
      'master and gateway lines',
      () => {
        if (child.exitCode !== null) throw new Error(`gfs cluster exited ${child.exitCode}: ${stderr}`);
        return stdout.split('\n').length >= 3 ? true : undefined;
      },
      60_000,
    );
    const gatewayUrl = `http://127.0.0.1:${port + 4}`;
    expect(stdout.trim().split('\n')).toEqual([`master: http://127.0.0.1:${port}`, `gateway: ${gatewayUrl}`]);

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
});
