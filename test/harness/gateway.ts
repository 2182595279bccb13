// A real `gfs gateway` process for tests, in front of a TestCluster's master: started on a free
// loopback port, ready once /healthz answers, stopped by its PID with SIGTERM (SIGKILL if stuck).

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from './free-port.js';
import { GFS_BIN } from './gfs-cli.js';
import { waitFor } from './wait.js';

export interface TestGateway {
  url: string;
  process: ChildProcess;
  /** The tail of its stderr, to explain a failure. */
  stderr(): string;
  stop(): Promise<void>;
}

const STOP_MS_MAX = 10_000;

export async function startTestGateway(masterUrl: string): Promise<TestGateway> {
  const port = await freePort();
  const child = spawn(process.execPath, [GFS_BIN, 'gateway', '--master', masterUrl, '--port', String(port)], {
    env: { ...process.env, GFS_LOG_LEVEL: process.env.GFS_TEST_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (piece: Buffer) => {
    stderr = (stderr + piece.toString()).slice(-20_000);
  });
  const url = `http://127.0.0.1:${port}`;
  const gateway: TestGateway = {
    url,
    process: child,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS_MAX);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor('gateway /healthz', async () => {
      if (child.exitCode !== null) throw new Error(`gfs gateway exited ${child.exitCode}: ${stderr}`);
      const response = await fetch(`${url}/healthz`);
      return response.ok ? true : undefined;
    });
  } catch (error) {
    await gateway.stop();
    throw error;
  }
  return gateway;
}
