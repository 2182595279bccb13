// Starts a local cluster for the benchmark the way a user does: `gfs cluster`, waiting for its
// `master: URL` line; stops it with SIGTERM by PID.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const GFS_BIN = fileURLToPath(new URL('../client/cli/main.js', import.meta.url));

export interface BenchCluster {
  masterUrl: string;
  stop(): Promise<void>;
}

export async function startCluster(dataDir: string, port: number, chunkSize: string): Promise<BenchCluster> {
  const child: ChildProcess = spawn(
    process.execPath,
    // No trash: the bench overwrites and deletes GiBs between runs and needs the space back at once.
    [
      GFS_BIN,
      'cluster',
      '--data',
      dataDir,
      '--port',
      String(port),
      '--chunk-size',
      chunkSize,
      '--trash-retention',
      '0ms',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, GFS_LOG_LEVEL: 'warn' } },
  );
  const masterUrl = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (piece: Buffer) => {
      seen += piece.toString();
      const match = /master: (\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`gfs cluster exited with ${code} before it was ready`)));
  });
  return {
    masterUrl,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
