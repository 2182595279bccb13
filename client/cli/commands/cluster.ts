// `gfs cluster --data DIR [--chunkservers N] [--port P]`: a master on P and N chunkservers on
// P+1..P+N as child processes on loopback (this same CLI), logs in DIR/logs/. Prints the master's
// URL once every chunkserver has registered; on SIGINT/SIGTERM stops the children and exits 0.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { RpcClient } from '../../../shared/http/client.js';
import type { LogLevel } from '../../../shared/log.js';
import { statusRoute } from '../../../shared/protocol/heartbeat.js';
import { delay } from '../../sdk/retry.js';
import { countOption, durationOption, LOG_LEVEL_HELP, logLevelOption, portOption, sizeOption } from '../options.js';

/** Longest wait for the master and every chunkserver to come up. */
const STARTUP_TIMEOUT_MS = 60_000;
/** How long a child gets to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
const LOOPBACK = '127.0.0.1';

interface ClusterFlags {
  data: string;
  chunkservers: number;
  port: number;
  chunkSize?: number;
  replication?: number;
  heartbeat?: number;
  lease?: number;
  deadAfter?: number;
  startupWait?: number;
  trashRetention?: number;
  logLevel?: LogLevel;
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: boolean;
}

export function registerCluster(program: Command): void {
  program
    .command('cluster')
    .description('run a master and chunkservers on loopback, as child processes')
    .requiredOption('--data <dir>', 'directory for every server’s data and logs')
    .option('--chunkservers <n>', 'number of chunkservers', countOption, 3)
    .option('--port <port>', "master's port; chunkservers take the following ones", portOption, 7070)
    .option('--chunk-size <size>', 'chunk size (master)', sizeOption)
    .option('--replication <n>', 'replicas per chunk (master)', countOption)
    .option('--heartbeat <duration>', 'heartbeat interval (chunkservers)', durationOption)
    .option('--lease <duration>', 'lease length (master)', durationOption)
    .option('--dead-after <duration>', 'chunkserver death timeout (master)', durationOption)
    .option('--startup-wait <duration>', 'wait for chunk reports after start (master)', durationOption)
    .option('--trash-retention <duration>', 'trash retention (master)', durationOption)
    .option('--log-level <level>', `${LOG_LEVEL_HELP}; passed to every child`, logLevelOption)
    .action(async (flags: ClusterFlags) => {
      await runCluster(flags);
    });
}

async function runCluster(flags: ClusterFlags): Promise<void> {
  const dataDir = resolve(flags.data);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const script = fileURLToPath(new URL('../main.js', import.meta.url));
  const masterAddress = `${LOOPBACK}:${flags.port}`;
  const masterUrl = `http://${masterAddress}`;
  const children: Child[] = [];
  const start = (name: string, args: string[]) => {
    mkdirSync(join(dataDir, name), { recursive: true });
    const log = openSync(join(logDir, `${name}.log`), 'a');
    const child: Child = {
      name,
      process: spawn(process.execPath, [script, ...args], { stdio: ['ignore', log, log] }),
      exited: false,
    };
    closeSync(log);
    child.process.on('exit', () => {
      child.exited = true;
    });
    children.push(child);
  };

  let stopping = false;
  const stopAndExit = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopChildren(children);
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAndExit(0));
  process.once('SIGTERM', () => void stopAndExit(0));

  start('master', [
    'master',
    '--host',
    LOOPBACK,
    '--port',
    String(flags.port),
    '--data',
    join(dataDir, 'master'),
    ...masterFlags(flags),
  ]);
  for (let i = 1; i <= flags.chunkservers; i++) {
    const chunkserverFlags = [
      ...(flags.heartbeat === undefined ? [] : ['--heartbeat', `${flags.heartbeat}ms`]),
      ...logLevelFlags(flags),
    ];
    const args = ['chunkserver', '--master', masterUrl, '--host', LOOPBACK, '--port', String(flags.port + i)];
    start(`cs${i}`, [...args, '--data', join(dataDir, `cs${i}`), ...chunkserverFlags]);
  }

  try {
    await waitUntilUp(masterAddress, flags.chunkservers, children, logDir);
  } catch (error) {
    const message = error instanceof GfsError ? `${error.message}: ${error.subject}` : String(error);
    process.stderr.write(`gfs: cluster failed to start: ${message}\n`);
    await stopAndExit(1);
    return;
  }
  process.stdout.write(`master: ${masterUrl}\n`);
  // Runs until a signal stops it (stopAndExit exits the process); the children keep it alive.
  await new Promise<void>((resolveNever) => {
    for (const child of children) {
      child.process.on('exit', (code, signal) => {
        if (stopping) return;
        process.stderr.write(`gfs: ${child.name} exited (${signal ?? `code ${code}`}): ${logDir}\n`);
        if (children.every((each) => each.exited)) void stopAndExit(1).then(resolveNever);
      });
    }
  });
}

function masterFlags(flags: ClusterFlags): string[] {
  const args: string[] = [];
  if (flags.chunkSize !== undefined) args.push('--chunk-size', String(flags.chunkSize));
  if (flags.replication !== undefined) args.push('--replication', String(flags.replication));
  if (flags.lease !== undefined) args.push('--lease', `${flags.lease}ms`);
  if (flags.deadAfter !== undefined) args.push('--dead-after', `${flags.deadAfter}ms`);
  if (flags.startupWait !== undefined) args.push('--startup-wait', `${flags.startupWait}ms`);
  if (flags.trashRetention !== undefined) args.push('--trash-retention', `${flags.trashRetention}ms`);
  return [...args, ...logLevelFlags(flags)];
}

/** Without the flag, children inherit GFS_LOG_LEVEL through the environment. */
function logLevelFlags(flags: ClusterFlags): string[] {
  return flags.logLevel === undefined ? [] : ['--log-level', flags.logLevel];
}

/** Polls the master's status until it is ready with `count` live chunkservers. */
async function waitUntilUp(masterAddress: string, count: number, children: Child[], logDir: string) {
  const rpc = new RpcClient({ connectionsPerOrigin: 1, timeoutMs: 5_000 });
  const giveUpAt = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    for (;;) {
      const dead = children.find((child) => child.exited);
      if (dead !== undefined) {
        throw new GfsError('UNAVAILABLE', `${dead.name} exited during start-up`, join(logDir, `${dead.name}.log`));
      }
      try {
        const status = await rpc.call(masterAddress, statusRoute, {});
        const alive = status.chunkservers.filter((server) => server.alive).length;
        if (status.ready && alive >= count) return;
      } catch {
        // Not up yet: keep polling until the deadline.
      }
      if (Date.now() > giveUpAt) {
        throw new GfsError('UNAVAILABLE', `not up after ${STARTUP_TIMEOUT_MS / 1000} s`, masterAddress);
      }
      await delay(100);
    }
  } finally {
    await rpc.close();
  }
}

/** SIGTERM to every child (by its PID), SIGKILL to any still running after the timeout. */
async function stopChildren(children: Child[]): Promise<void> {
  const running = children.filter((child) => !child.exited && child.process.exitCode === null);
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolveStop) => {
          const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
          child.process.once('exit', () => {
            clearTimeout(timer);
            resolveStop();
          });
          if (child.exited) resolveStop();
          child.process.kill('SIGTERM');
        }),
    ),
  );
}
