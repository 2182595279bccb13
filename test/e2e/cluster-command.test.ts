// `gfs cluster` as a newcomer runs it: prints the master address once every chunkserver has
// registered, serves, and stops every child on SIGTERM with exit 0.

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
  it('starts a master and 3 chunkservers, prints the master URL, and stops on SIGTERM', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gfs-cluster-'));
    const port = await freePortRun(4);
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
      'master line',
      () => {
        if (child.exitCode !== null) throw new Error(`gfs cluster exited ${child.exitCode}: ${stderr}`);
        return stdout.includes('\n') ? true : undefined;
      },
      60_000,
    );
    expect(stdout.trim()).toBe(`master: http://127.0.0.1:${port}`);

    const status = await runGfs(['--master', `http://127.0.0.1:${port}`, 'status', '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout.toString()) as { chunkservers: { alive: boolean }[] };
    expect(parsed.chunkservers.filter((cs) => cs.alive)).toHaveLength(3);

    expect(
      (await runGfs(['--master', `http://127.0.0.1:${port}`, 'cp', '-', 'gfs:/hello'], { input: 'hi' })).code,
    ).toBe(0);
    expect((await runGfs(['cat', `gfs://127.0.0.1:${port}/hello`])).stdout.toString()).toBe('hi');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Every child stopped with it: nothing answers on the cluster's ports any more.
    for (let offset = 0; offset <= 3; offset++) {
      const alive = await fetch(`http://127.0.0.1:${port + offset}/healthz`).then(
        () => true,
        () => false,
      );
      expect(alive, `port ${port + offset}`).toBe(false);
    }
  });
});
