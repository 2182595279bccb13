// Real `gfs mount` processes for tests, and a shell to drive them with ordinary tools. Every
// mount a test starts is unmounted (SIGTERM, then fusermount -u, then umount -l) and its process
// killed by PID in `stop()`/`stopAllMounts()`, even when the test failed; a mount point is only
// removed once nothing is mounted on it.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestCluster } from './cluster.js';
import { GFS_BIN } from './gfs-cli.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const live = new Set<TestMount>();

export interface MountOptions {
  readOnly?: boolean;
  /** An existing directory to mount on (else a fresh temporary one, removed at stop). */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** More flags for `gfs mount` (e.g. `--metrics-port 9100`). */
  args?: readonly string[];
}

export class TestMount {
  stdout = '';
  stderr = '';
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly dir: string,
    readonly process: ChildProcess,
    private readonly ownsDir: boolean,
  ) {
    this.exited = new Promise((resolve) => {
      process.on('exit', (code, signal) => {
        this.exitCode = code ?? (signal === null ? null : -1);
        resolve(this.exitCode);
      });
    });
    process.stdout?.on('data', (piece: Buffer) => {
      this.stdout += piece.toString();
    });
    process.stderr?.on('data', (piece: Buffer) => {
      this.stderr = (this.stderr + piece.toString()).slice(-20_000);
    });
  }

  /** Starts `gfs mount` and waits until it says it is mounted (and the kernel agrees). */
  static async start(cluster: TestCluster, options: MountOptions = {}): Promise<TestMount> {
    // The kernel names mount points by their real path; so does `gfs mount`.
    const dir = options.dir ?? (await mkdtemp(join(await realpath(tmpdir()), 'gfs-mnt-')));
    const args = [
      '--master',
      cluster.masterUrl,
      'mount',
      ...(options.readOnly ? ['--read-only'] : []),
      ...(options.args ?? []),
      dir,
    ];
    const child = spawn(process.execPath, [GFS_BIN, ...args], {
      env: { ...process.env, GFS_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const mount = new TestMount(dir, child, options.dir === undefined);
    live.add(mount);
    try {
      await waitFor(
        `gfs mount at ${dir}`,
        async () => {
          if (mount.exitCode !== null) throw new Error(`gfs mount exited ${mount.exitCode}: ${mount.stderr}`);
          return mount.stdout.includes(`mounted: ${dir}`) && (await isMounted(dir));
        },
        30_000,
      );
    } catch (error) {
      await mount.stop();
      throw error;
    }
    return mount;
  }

  /** Sends a signal to the mount process (by its PID). */
  signal(signal: NodeJS.Signals): void {
    if (this.exitCode === null) this.process.kill(signal);
  }

  /**
   * SIGTERM and wait for the exit; whatever is left (a hung process, a mount) is killed and
   * unmounted. Returns the exit code of the SIGTERM (null if it had to be killed).
   */
  async stop(): Promise<number | null> {
    live.delete(this);
    let code: number | null = this.exitCode;
    if (code === null) {
      this.signal('SIGTERM');
      code = await Promise.race([this.exited, delay(20_000).then(() => null)]);
      if (code === null && this.exitCode === null) {
        this.process.kill('SIGKILL');
        await this.exited;
      }
    }
    await forceUnmount(this.dir);
    if (this.ownsDir) await rmdir(this.dir).catch(() => undefined);
    return code;
  }
}

/** Stops every mount still running (an afterAll safety net for failed tests). */
export async function stopAllMounts(): Promise<void> {
  await Promise.all([...live].map((mount) => mount.stop()));
}

export async function isMounted(dir: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === dir);
}

/** Unmounts whatever is at `dir`: fusermount -u, then -uz, then umount -l as the last resort. */
export async function forceUnmount(dir: string): Promise<void> {
  for (const [command, args] of [
    ['fusermount', ['-u', dir]],
    ['fusermount', ['-uz', dir]],
    ['umount', ['-l', dir]],
  ] as const) {
    if (!(await isMounted(dir))) return;
    await run(command, [...args]).catch(() => undefined);
  }
}

export interface ShellResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bash script as a user would, in `cwd`; never throws on a failing command. */
export function sh(script: string, options: { cwd?: string; timeoutMs?: number } = {}): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.stdout.on('data', (piece: Buffer) => {
      stdout += piece.toString();
    });
    child.stderr.on('data', (piece: Buffer) => {
      stderr += piece.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like `sh`, but a non-zero exit is an error that shows the script's output. */
export async function shOk(script: string, options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  const result = await sh(script, options);
  if (result.code !== 0) {
    throw new Error(
      `script failed (${result.code}):\n${script}\n--- stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`,
    );
  }
  return result.stdout;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
