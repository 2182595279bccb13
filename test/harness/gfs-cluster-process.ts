// `gfs cluster` as a child process, as a newcomer runs it: started on a free run of ports, ready
// once it has printed its master and gateway lines, stopped by SIGTERM (by its PID).

import { type ChildProcess, spawn } from 'node:child_process';
import { freePortRun } from './free-port.js';
import { GFS_BIN } from './gfs-cli.js';
import { waitFor } from './wait.js';

export interface GfsClusterProcess {
  port: number;
  /** Its stdout lines once ready: `master: URL`, `gateway: URL`. */
  lines: string[];
  child: ChildProcess;
  exited: Promise<number | null>;
  /** What it wrote to stderr so far (the last 4,000 characters). */
  stderr(): string;
  /** SIGTERM if still running, and its exit. */
  stop(): Promise<void>;
}

/** `env` is laid over this process's environment; a key set to undefined is left out. */
export async function startGfsCluster(
  dataDir: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<GfsClusterProcess> {
  const port = await freePortRun(5);
  const child = spawn(process.execPath, [GFS_BIN, 'cluster', '--data', dataDir, '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (piece: Buffer) => {
    stdout += piece.toString();
  });
  child.stderr?.on('data', (piece: Buffer) => {
    stderr = (stderr + piece.toString()).slice(-4000);
  });
  try {
    await waitFor(
      'master and gateway lines',
      () => {
        if (child.exitCode !== null) throw new Error(`gfs cluster exited ${child.exitCode}: ${stderr}`);
        return stdout.split('\n').length >= 3 ? true : undefined;
      },
      60_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, lines: stdout.trim().split('\n'), child, exited, stderr: () => stderr, stop };
}
