// The master section of `npm run bench` (issue 5): a data dir with `files` files of one chunk
// each (bench/master-log.ts), and the real `gfs master` process restarted on it as a user would
// run it, timed from spawn until it answers a stat:
//   (b) with everything in the log (3 records a file, no checkpoint),
//   (a) from the checkpoint it then writes in the background plus a short log tail;
// the stat latency clients see while that checkpoint is built (the pause it puts on mutations and
// reads) beside the same stats with no checkpoint running; and memory per file and per chunk
// (bench/master-memory.ts, heap after GC, in its own --expose-gc process), with the real master's
// RSS over an empty master's as a cross-check.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../shared/http/client.js';
import { createRoute, mkdirRoute, statRoute } from '../shared/protocol/namespace.js';
import { GFS_BIN } from './cluster.js';
import { benchFilePath, writeBenchLog } from './master-log.js';
import { seconds } from './measure.js';

const MEMORY_SCRIPT = fileURLToPath(new URL('./master-memory.js', import.meta.url));
/** Records logged after the checkpoint, replayed on top of it at restart (a short tail). */
const TAIL_RECORDS = 1_000;
/** How long idle stat latency is sampled for the comparison. */
const IDLE_SAMPLE_MS = 3_000;
/**
 * No chunkserver ever reports, so the master stays in its start-up wait and its re-replication
 * scans (every 5 s, O(chunks), all "lost" here) stay off: the stat latencies show what the
 * checkpoint costs, not the scans. Stats are served during the wait.
 */
const STARTUP_WAIT = '1h';
/** No checkpoint during the log-only restart: it would only compete for the CPU. */
const NO_CHECKPOINT = ['--checkpoint-every', '1000000000'];

export interface Restart {
  seconds: number;
  /** CPU the master used until it answered (user + system, all its threads). */
  cpuSeconds: number;
  rssBytes: number;
  /** From the master's `state recovered` line. */
  checkpointSeq: number;
  replayed: number;
}

export interface Latencies {
  count: number;
  p99Ms: number;
  maxMs: number;
}

export interface MemoryFigures {
  bytesPerFile: number;
  bytesPerChunk: number;
  locationBytesPerChunk: number;
}

export interface MasterFigures {
  files: number;
  logRecords: number;
  generateSeconds: number;
  fromLog: Restart;
  fromCheckpoint: Restart;
  /** The same restart of a master with an empty data dir. */
  empty: Restart;
  checkpoint: { bytes: number; rebuildMs: number; writeMs: number; seconds: number };
  statDuringCheckpoint: Latencies;
  statIdle: Latencies;
  memoryReplayed: MemoryFigures;
  memoryLoaded: MemoryFigures;
}

interface RunningMaster {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function measureMaster(
  root: string,
  port: number,
  files: number,
  log: (line: string) => void,
): Promise<MasterFigures> {
  const dataDir = join(root, 'master-bench');
  const url = `http://127.0.0.1:${port}`;
  const rpc = new RpcClient({ timeoutMs: 60_000 });
  try {
    let logRecords = 0;
    const generateSeconds = await seconds(async () => {
      logRecords = await writeBenchLog(dataDir, files);
    });
    log(`master: ${files} files, ${logRecords} log records written in ${generateSeconds.toFixed(1)} s`);
    const memoryReplayed = await measureMemory(dataDir);
    log(`master: memory with the state replayed from the log ${JSON.stringify(memoryReplayed)}`);

    const fromLog = await timedRestart(dataDir, port, rpc, NO_CHECKPOINT, log);

    // Default flags: the long replay makes the master checkpoint in the background at once.
    const master = startMaster(dataDir, port, []);
    await waitAnswering(rpc, url, master);
    const checkpointStarted = performance.now();
    const statDuringCheckpoint = await statLatencies(rpc, url, files, () => checkpointWritten(master.stderr()));
    const checkpointSeconds = (performance.now() - checkpointStarted) / 1000;
    const written = checkpointWritten(master.stderr());
    if (written === undefined) throw new Error('the master wrote no checkpoint');
    const statIdle = await statLatencies(rpc, url, files, timeUp(IDLE_SAMPLE_MS));
    await rpc.call(url, mkdirRoute, { path: '/tail', recursive: true });
    for (let i = 1; i < TAIL_RECORDS; i++) await rpc.call(url, createRoute, { path: `/tail/f${i}`, overwrite: false });
    await master.stop();
    log(`master: checkpoint ${JSON.stringify(written)} in ${checkpointSeconds.toFixed(1)} s`);

    const memoryLoaded = await measureMemory(dataDir);
    log(`master: memory with the state loaded from the checkpoint ${JSON.stringify(memoryLoaded)}`);
    const fromCheckpoint = await timedRestart(dataDir, port, rpc, [], log);
    const emptyDir = join(root, 'master-empty');
    await mkdir(emptyDir, { recursive: true });
    const empty = await timedRestart(emptyDir, port, rpc, [], log, false);
    return {
      files,
      logRecords,
      generateSeconds,
      fromLog,
      fromCheckpoint,
      empty,
      checkpoint: { ...written, seconds: checkpointSeconds },
      statDuringCheckpoint,
      statIdle,
      memoryReplayed,
      memoryLoaded,
    };
  } finally {
    await rpc.close();
  }
}

function startMaster(dataDir: string, port: number, flags: readonly string[]): RunningMaster {
  const child = spawn(
    process.execPath,
    [GFS_BIN, 'master', '--port', String(port), '--data', dataDir, '--startup-wait', STARTUP_WAIT, ...flags],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GFS_LOG_LEVEL: 'info' } },
  );
  let stderr = '';
  child.stderr?.on('data', (piece: Buffer) => {
    // Info lines of a master with no chunkservers: a few dozen; keep the tail, bounded.
    stderr = (stderr + piece.toString()).slice(-200_000);
  });
  const exited = once(child, 'exit');
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Polls a stat until the master answers it; throws if the master exits first. */
async function waitAnswering(
  rpc: RpcClient,
  url: string,
  master: RunningMaster,
  path = benchFilePath(0),
): Promise<void> {
  for (;;) {
    if (master.child.exitCode !== null) throw new Error(`gfs master exited: ${master.stderr().slice(-2_000)}`);
    try {
      await rpc.call(url, statRoute, { path });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function timedRestart(
  dataDir: string,
  port: number,
  rpc: RpcClient,
  flags: readonly string[],
  log: (line: string) => void,
  hasFiles = true,
): Promise<Restart> {
  const started = performance.now();
  const master = startMaster(dataDir, port, flags);
  try {
    await waitAnswering(rpc, master.url, master, hasFiles ? benchFilePath(0) : '/');
    const elapsed = (performance.now() - started) / 1000;
    const { cpuSeconds, rssBytes } = await processUsage(master.child.pid ?? 0);
    const recovered = /state recovered checkpoint=(\d+) replayed=(\d+)/.exec(master.stderr());
    const restart = {
      seconds: elapsed,
      cpuSeconds,
      rssBytes,
      checkpointSeq: Number(recovered?.[1] ?? 0),
      replayed: Number(recovered?.[2] ?? 0),
    };
    log(`master: restart ${JSON.stringify(restart)}`);
    return restart;
  } finally {
    await master.stop();
  }
}

/** CPU time and resident memory of a process, from /proc. */
async function processUsage(pid: number): Promise<{ cpuSeconds: number; rssBytes: number }> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  const ticksPerSecond = 100;
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / ticksPerSecond;
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds, rssBytes: rssKiB * 1024 };
}

function checkpointWritten(stderr: string): { bytes: number; rebuildMs: number; writeMs: number } | undefined {
  const match = /checkpoint written seq=\d+ bytes=(\d+) .*rebuildMs=(\d+) writeMs=(\d+)/.exec(stderr);
  if (match === null) {
    if (/checkpoint failed/.test(stderr)) throw new Error('the master failed to write its checkpoint');
    return undefined;
  }
  return { bytes: Number(match[1]), rebuildMs: Number(match[2]), writeMs: Number(match[3]) };
}

function timeUp(ms: number): () => boolean {
  const until = performance.now() + ms;
  return () => performance.now() >= until;
}

/** Stats of bench files one after another until `done()`; their latencies. */
async function statLatencies(rpc: RpcClient, url: string, files: number, done: () => unknown): Promise<Latencies> {
  const latencies: number[] = [];
  for (let i = 0; !done(); i++) {
    const started = performance.now();
    await rpc.call(url, statRoute, { path: benchFilePath((i * 7919) % files) });
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
  };
}

async function measureMemory(dataDir: string): Promise<MemoryFigures> {
  const child = spawn(process.execPath, ['--expose-gc', MEMORY_SCRIPT, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (piece: Buffer) => {
    out += piece.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`master-memory exited with ${code}`);
  const figures = JSON.parse(out) as MemoryFigures;
  return {
    bytesPerFile: figures.bytesPerFile,
    bytesPerChunk: figures.bytesPerChunk,
    locationBytesPerChunk: figures.locationBytesPerChunk,
  };
}
