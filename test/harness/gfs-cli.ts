// Runs the built `gfs` CLI as a user would, capturing exit code and output.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const GFS_BIN = fileURLToPath(new URL('../../dist/client/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export async function runGfs(
  args: readonly string[],
  options: {
    input?: Buffer | string;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    timeoutMs?: number;
    /** A command that runs it, e.g. `ip netns exec NS` (it must exec, keeping the PID, as that does). */
    via?: readonly string[];
  } = {},
): Promise<CliResult> {
  const [command, ...commandArgs] = [...(options.via ?? []), process.execPath, GFS_BIN, ...args] as [
    string,
    ...string[],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      env: { ...process.env, GFS_LOG_LEVEL: 'warn', ...options.env },
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (piece: Buffer) => stdout.push(piece));
    child.stderr.on('data', (piece: Buffer) => {
      stderr += piece.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(stdout), stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
