// Starts a local cluster for the benchmark the way a user does: `gfs cluster`, waiting for its
// `master: URL` and `gateway: URL` lines; stops it with SIGTERM by PID. The repair section starts
// its servers one by one instead (startServers), to kill a chunkserver it started.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterStatus } from '../shared/protocol/heartbeat.js';
import { mintClientToken } from '../shared/security/client-token.js';
import { generateSecretText, parseSecret, SECRET_FILE_NAME } from '../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../shared/security/keys.js';

export const GFS_BIN = fileURLToPath(new URL('../client/cli/main.js', import.meta.url));

export interface BenchCluster {
  masterUrl: string;
  stop(): Promise<void>;
}

export interface GfsClusterCommand extends BenchCluster {
  /** The web gateway `gfs cluster` starts beside the servers. */
  gatewayUrl: string;
}

export async function startCluster(dataDir: string, port: number, chunkSize: string): Promise<GfsClusterCommand> {
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
  const [masterUrl, gatewayUrl] = await new Promise<[string, string]>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (piece: Buffer) => {
      seen += piece.toString();
      const master = /master: (\S+)/.exec(seen)?.[1];
      const gateway = /gateway: (\S+)/.exec(seen)?.[1];
      if (master !== undefined && gateway !== undefined) resolve([master, gateway]);
    });
    child.once('exit', (code) => reject(new Error(`gfs cluster exited with ${code} before it was ready`)));
  });
  return {
    masterUrl,
    gatewayUrl,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export interface BenchChunkserver {
  address: string;
  /** SIGKILLs this chunkserver (a process the bench started) and waits for it to exit. */
  kill(): Promise<void>;
}

export interface BenchServers extends BenchCluster {
  chunkservers: BenchChunkserver[];
}

export interface ServerSettings {
  chunkservers: number;
  chunkSize: string;
  replication: number;
  deadAfter: string;
  /** More flags for the master. */
  masterArgs?: readonly string[];
  /** Every server with --insecure; otherwise all share DATA/cluster.secret, as under `gfs cluster`. */
  insecure?: boolean;
}

/** How long the master and every chunkserver get to come up. */
const SERVERS_READY_MS_MAX = 60_000;

/**
 * A master and chunkservers as separate `gfs` processes (not `gfs cluster`), so the bench knows
 * each chunkserver's PID and can kill one; logs go to DATA/<name>.log. Ready once the master
 * reports every chunkserver alive.
 */
export async function startServers(dataDir: string, port: number, settings: ServerSettings): Promise<BenchServers> {
  const children: ChildProcess[] = [];
  const spawnGfs = async (name: string, args: readonly string[]) => {
    await mkdir(join(dataDir, name), { recursive: true });
    const log = openSync(join(dataDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, [GFS_BIN, ...args], {
      stdio: ['ignore', log, log],
      env: { ...process.env, GFS_LOG_LEVEL: 'warn' },
    });
    closeSync(log);
    children.push(child);
    return child;
  };
  const stopAll = async () => {
    const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
    for (const child of running) child.kill('SIGTERM');
    await Promise.all(running.map((child) => once(child, 'exit')));
  };
  const masterUrl = `http://127.0.0.1:${port}`;
  const chunkservers: BenchChunkserver[] = [];
  await mkdir(dataDir, { recursive: true });
  const security = settings.insecure === true ? ['--insecure'] : ['--secret-file', await benchSecretFile(dataDir)];
  try {
    await spawnGfs('master', [
      ...['master', '--port', String(port), '--data', join(dataDir, 'master')],
      ...['--chunk-size', settings.chunkSize, '--replication', String(settings.replication)],
      ...['--dead-after', settings.deadAfter, '--trash-retention', '0'],
      ...(settings.masterArgs ?? []),
      ...security,
    ]);
    for (let i = 1; i <= settings.chunkservers; i++) {
      const name = `cs${i}`;
      const child = await spawnGfs(name, [
        ...['chunkserver', '--master', masterUrl, '--port', String(port + i), '--data', join(dataDir, name)],
        ...security,
      ]);
      chunkservers.push({
        address: `127.0.0.1:${port + i}`,
        async kill() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGKILL');
          await exited;
        },
      });
    }
    await waitUntilAlive(masterUrl, settings.chunkservers);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { masterUrl, chunkservers, stop: stopAll };
}

/** One secret for every secure cluster of a bench run, so one superuser token serves them all. */
const BENCH_SECRET = generateSecretText();

/**
 * Writes the bench's secret into DATA/cluster.secret and makes GFS_TOKEN a superuser token of it,
 * for every client the bench runs from here on (the CLI it spawns, the SDK clients it makes): a
 * secure cluster then takes the bench's requests as a user's, tokens and checks included.
 */
async function benchSecretFile(dataDir: string): Promise<string> {
  const path = join(dataDir, SECRET_FILE_NAME);
  await writeFile(path, `${BENCH_SECRET}\n`, { mode: 0o600 });
  const keys = deriveClusterKeys(parseSecret(BENCH_SECRET, 'bench'));
  process.env.GFS_TOKEN = mintClientToken(keys, { user: 'bench', superuser: true });
  return path;
}

async function waitUntilAlive(masterUrl: string, count: number): Promise<void> {
  const giveUpAt = Date.now() + SERVERS_READY_MS_MAX;
  const token = process.env.GFS_TOKEN;
  const headers = token === undefined ? undefined : { authorization: `Bearer ${token}` };
  for (;;) {
    const status = await fetch(`${masterUrl}/status`, { headers })
      .then((response) => (response.ok ? (response.json() as Promise<ClusterStatus>) : undefined))
      .catch(() => undefined);
    if (status?.ready && status.chunkservers.filter((server) => server.alive).length === count) return;
    if (Date.now() > giveUpAt) throw new Error(`servers not up after ${SERVERS_READY_MS_MAX} ms: ${masterUrl}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
