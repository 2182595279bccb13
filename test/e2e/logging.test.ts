// Server logs (issue 6 item 4), on a real `gfs master` process: `--log-level` wins over
// GFS_LOG_LEVEL, which still works alone; lines are JSON (stderr is a pipe here) with the role and
// node bindings; a bad level is a usage error; a failed request is logged exactly once, by the
// server, with its route pattern, peer, code, status and duration.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminHeaders } from '../harness/admin-rpc.js';
import { freePort, freePortRun } from '../harness/free-port.js';
import { GFS_BIN, runGfs } from '../harness/gfs-cli.js';
import { waitFor } from '../harness/wait.js';

interface RunningMaster {
  port: number;
  process: ChildProcess;
  stderr: () => string;
}

const started: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function startMaster(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunningMaster> {
  const dir = await mkdtemp(join(tmpdir(), 'gfs-log-'));
  dirs.push(dir);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [GFS_BIN, 'master', '--port', String(port), '--data', dir, '--startup-wait', '0', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  started.push(child);
  let stderr = '';
  child.stderr?.on('data', (piece: Buffer) => {
    stderr += piece.toString();
  });
  await waitFor(`master on ${port}`, async () => {
    if (child.exitCode !== null) throw new Error(`master exited ${child.exitCode}: ${stderr}`);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return response?.status === 200 ? true : undefined;
  });
  return { port, process: child, stderr: () => stderr };
}

/** Stops the master (SIGTERM, by PID) and returns its log lines, each parsed as JSON. */
async function stopAndReadLog(master: RunningMaster): Promise<Array<Record<string, unknown>>> {
  const exited = new Promise((resolve) => master.process.once('exit', resolve));
  master.process.kill('SIGTERM');
  await exited;
  return master
    .stderr()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('logging', () => {
  it('--log-level debug wins over GFS_LOG_LEVEL; JSON lines; each failed request logged once with its fields', async () => {
    const master = await startMaster(['--log-level', 'debug'], { GFS_LOG_LEVEL: 'error' });
    const missing = await fetch(`http://127.0.0.1:${master.port}/no/such/route`, { headers: adminHeaders() });
    expect(missing.status).toBe(404);
    const lines = await stopAndReadLog(master);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({ role: 'master', node: `127.0.0.1:${master.port}` });
      expect(typeof line.level).toBe('number');
      expect(typeof line.time).toBe('number');
    }
    // Info lines are there (debug ≥ info), though GFS_LOG_LEVEL says error.
    expect(lines.some((line) => String(line.msg).startsWith('master listening'))).toBe(true);
    const failures = lines.filter((line) => line.code === 'NOT_FOUND');
    expect(failures).toHaveLength(1);
    const [failure] = failures;
    expect(failure).toMatchObject({ level: 20, method: 'GET', route: '/no/such/route', status: 404 });
    expect(String(failure?.peer)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(typeof failure?.durationMs).toBe('number');
  });

  it('GFS_LOG_FORMAT=pretty renders lines for a person (as on a terminal)', async () => {
    const master = await startMaster(['--log-level', 'info'], { GFS_LOG_FORMAT: 'pretty' });
    const exited = new Promise((resolve) => master.process.once('exit', resolve));
    master.process.kill('SIGTERM');
    await exited;
    expect(master.stderr()).toMatch(/INFO.*master listening/);
    expect(master.stderr()).toMatch(/role: "master"/);
    expect(() => JSON.parse(master.stderr().split('\n')[0] ?? '')).toThrow();
  });

  it('gfs cluster passes --log-level to every child, over GFS_LOG_LEVEL', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gfs-log-cluster-'));
    dirs.push(root);
    const port = await freePortRun(3);
    const child = spawn(
      process.execPath,
      [GFS_BIN, 'cluster', '--data', root, '--port', String(port), '--chunkservers', '2', '--log-level', 'debug'],
      { env: { ...process.env, GFS_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    started.push(child);
    let stdout = '';
    child.stdout?.on('data', (piece: Buffer) => {
      stdout += piece.toString();
    });
    await waitFor(
      'gfs cluster up',
      () => {
        if (child.exitCode !== null) throw new Error(`gfs cluster exited ${child.exitCode}`);
        return stdout.includes('master: ') ? true : undefined;
      },
      60_000,
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const [name, role] of [
      ['master', 'master'],
      ['cs1', 'chunkserver'],
      ['cs2', 'chunkserver'],
    ] as const) {
      const lines = (await readFile(join(root, 'logs', `${name}.log`), 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(
        lines.every((line) => line.role === role && typeof line.node === 'string'),
        name,
      ).toBe(true);
      // Info lines are there though GFS_LOG_LEVEL says error: the flag reached the child.
      expect(
        lines.some((line) => line.level === 30),
        name,
      ).toBe(true);
    }
  });

  it('GFS_LOG_LEVEL alone still sets the level', async () => {
    const master = await startMaster([], { GFS_LOG_LEVEL: 'warn' });
    await fetch(`http://127.0.0.1:${master.port}/no/such/route`, { headers: adminHeaders() });
    const lines = await stopAndReadLog(master);
    expect(lines.filter((line) => (line.level as number) < 40)).toEqual([]);
  });

  it('an unknown --log-level is a usage error in one line', async () => {
    const result = await runGfs(['master', '--port', '0', '--data', '/nonexistent', '--log-level', 'loud']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^gfs: .*log level.*\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });
});
