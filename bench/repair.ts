// The repair part of `npm run bench` (issue 5): how fast re-replication restores the replicas of a
// dead chunkserver holding ≥ 2 GiB, beside a local disk copy of the same bytes in the same run.
// - a master and 4 chunkservers as separate processes (bench/cluster.ts startServers), replication
//   3, 64 MiB chunks, --dead-after 3s, rebalancing off; files of 256 MiB are written until the
//   fullest chunkserver holds at least `victimBytesMin`, which is then SIGKILLed;
// - the rate: the victim's bytes (each of its replicas is cloned once) over the time from the first
//   clone's start to the last clone's end, from the master's clone log (`GET /repair/clones`);
//   and, for reference, the same bytes over the time from the kill until `fsck` is healthy, which
//   adds failure detection (--dead-after) and the 2 s settle wait;
// - the baseline: `cp` of a local file of the victim's size between two directories, then `sync`
//   (a clone is fsynced before it counts), median of 3, measured before the cluster starts; plain
//   `cp` (it ends in the page cache) for reference.

import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GfsClient } from '../index.js';
import type { CloneRecord, FsckReport } from '../shared/protocol/health.js';
import type { ClusterStatus } from '../shared/protocol/heartbeat.js';
import { startServers } from './cluster.js';
import { run, seconds, settleDisk } from './measure.js';

const MiB = 1024 * 1024;
const FILE_BYTES = 256 * MiB;
const CHUNKSERVERS = 4;
const REPLICATION = 3;
const DEAD_AFTER = '3s';
/** Chunkservers report their use in heartbeats (1 s apart): the bench waits this long before reading it. */
const REPORT_WAIT_MS = 2_500;
const HEALTHY_WAIT_MS_MAX = 600_000;

export interface RepairSettings {
  /** The victim holds at least this much. */
  victimBytesMin: number;
  runs: number;
}

export interface RepairFigures {
  victimBytes: number;
  clones: number;
  /** MiB/s over the clones' span, and over kill → healthy. */
  cloneRate: number;
  killToHealthyRate: number;
  cloneSeconds: number;
  killToHealthySeconds: number;
  /** MiB/s of the local baselines. */
  copySyncRate: number;
  copyRate: number;
}

export async function measureRepair(
  root: string,
  port: number,
  settings: RepairSettings,
  log: (line: string) => void = () => undefined,
): Promise<RepairFigures> {
  const dir = join(root, 'repair');
  await mkdir(dir, { recursive: true });
  const block = randomBlock(FILE_BYTES);
  const filesPlanned = Math.ceil((settings.victimBytesMin * CHUNKSERVERS) / REPLICATION / FILE_BYTES);
  const copyFiles = Math.ceil(settings.victimBytesMin / FILE_BYTES);
  const baseline = await copyBaselines(dir, block, copyFiles, settings.runs);
  log(`repair: local cp + sync of ${copyFiles * (FILE_BYTES / MiB)} MiB: ${baseline.copySyncRate.toFixed(0)} MiB/s`);
  await settleDisk();

  const servers = await startServers(join(dir, 'cluster'), port, {
    chunkservers: CHUNKSERVERS,
    chunkSize: '64MiB',
    replication: REPLICATION,
    deadAfter: DEAD_AFTER,
    masterArgs: ['--rebalance-rate', '0'],
  });
  const client = new GfsClient({ master: servers.masterUrl });
  try {
    await client.mkdir('/repair', { recursive: true });
    const victim = await fillUntil(client, block, settings.victimBytesMin, filesPlanned * 2, log);
    const chunkserver = servers.chunkservers.find((server) => server.address === victim.address);
    if (chunkserver === undefined) throw new Error(`no chunkserver at ${victim.address}`);
    await settleDisk();

    log(`repair: killing ${victim.address} holding ${(victim.bytes / MiB).toFixed(0)} MiB`);
    const killedAtMs = Date.now();
    await chunkserver.kill();
    await waitRepaired(servers.masterUrl, victim.address);
    const killToHealthySeconds = (Date.now() - killedAtMs) / 1000;
    const clones = (await client.cloneLog()).filter(
      (clone: CloneRecord) => clone.purpose === 'repair' && clone.startedAtMs >= killedAtMs,
    );
    if (clones.length === 0 || clones.some((clone) => clone.result !== 'done' || clone.endedAtMs === null)) {
      throw new Error(`some clones did not succeed: ${JSON.stringify(clones.filter((c) => c.result !== 'done'))}`);
    }
    const firstStartMs = Math.min(...clones.map((clone) => clone.startedAtMs));
    const lastEndMs = Math.max(...clones.map((clone) => clone.endedAtMs ?? 0));
    const cloneSeconds = (lastEndMs - firstStartMs) / 1000;
    log(`repair: ${clones.length} clones in ${cloneSeconds.toFixed(1)} s, ${describeOverlap(clones)}`);
    return {
      victimBytes: victim.bytes,
      clones: clones.length,
      cloneRate: victim.bytes / MiB / cloneSeconds,
      killToHealthyRate: victim.bytes / MiB / killToHealthySeconds,
      cloneSeconds,
      killToHealthySeconds,
      ...baseline,
    };
  } finally {
    await client.close();
    await servers.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** How many clones ran at once (most, and on average over the span) and the median clone's time. */
function describeOverlap(clones: readonly CloneRecord[]): string {
  const events = clones.flatMap((clone) => [
    { atMs: clone.startedAtMs, delta: 1 },
    { atMs: clone.endedAtMs ?? clone.startedAtMs, delta: -1 },
  ]);
  events.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const event of events) {
    running += event.delta;
    most = Math.max(most, running);
  }
  const durations = clones
    .map((clone) => (clone.endedAtMs ?? clone.startedAtMs) - clone.startedAtMs)
    .sort((a, b) => a - b);
  const spanMs = (events.at(-1)?.atMs ?? 0) - (events[0]?.atMs ?? 0);
  const average = durations.reduce((sum, ms) => sum + ms, 0) / Math.max(1, spanMs);
  const median = durations[Math.floor(durations.length / 2)] ?? 0;
  return `at most ${most} at once (${average.toFixed(1)} on average), median clone ${(median / 1000).toFixed(2)} s`;
}

/** Writes 256 MiB files until the fullest chunkserver holds `bytesMin`; returns it. */
async function fillUntil(
  client: GfsClient,
  block: Buffer,
  bytesMin: number,
  filesMax: number,
  log: (line: string) => void,
): Promise<{ address: string; bytes: number }> {
  for (let written = 0; written < filesMax; ) {
    const elapsed = await seconds(() => client.writeFile(`/repair/f${written}`, block));
    written++;
    log(`repair: wrote file ${written} (${(FILE_BYTES / MiB / elapsed).toFixed(0)} MiB/s)`);
    if (written * FILE_BYTES * REPLICATION < bytesMin * CHUNKSERVERS) continue;
    await new Promise((resolve) => setTimeout(resolve, REPORT_WAIT_MS));
    const fullest = (await client.status()).chunkservers.sort((a, b) => b.bytesUsed - a.bytesUsed)[0];
    if (fullest !== undefined && fullest.bytesUsed >= bytesMin)
      return { address: fullest.address, bytes: fullest.bytesUsed };
  }
  throw new Error(`no chunkserver holds ${bytesMin} bytes after ${filesMax} files`);
}

/** Waits until the master has declared the victim dead, then until every chunk is whole again. */
async function waitRepaired(masterUrl: string, victim: string): Promise<void> {
  const giveUpAt = Date.now() + HEALTHY_WAIT_MS_MAX;
  const get = <T>(path: string) =>
    fetch(`${masterUrl}${path}`)
      .then((response) => (response.ok ? (response.json() as Promise<T>) : undefined))
      .catch(() => undefined);
  // Until the victim is declared dead, its replicas still count and fsck is healthy.
  let dead = false;
  for (;;) {
    if (!dead) {
      const status = await get<ClusterStatus>('/status');
      dead = status?.chunkservers.some((server) => server.address === victim && !server.alive) === true;
    }
    if (dead && (await get<FsckReport>('/fsck'))?.healthy) return;
    if (Date.now() > giveUpAt) throw new Error(`not repaired ${HEALTHY_WAIT_MS_MAX} ms after the kill`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `cp` (then `sync`) of a local file of `files` blocks, median of `runs`, in MiB/s. */
async function copyBaselines(
  dir: string,
  block: Buffer,
  files: number,
  runs: number,
): Promise<Pick<RepairFigures, 'copySyncRate' | 'copyRate'>> {
  const input = join(dir, 'input.bin');
  const copy = join(dir, 'copy.bin');
  const file = await open(input, 'w');
  for (let i = 0; i < files; i++) await file.write(block);
  await file.sync();
  await file.close();
  const bytes = files * block.length;
  const timed = async (withSync: boolean) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      await settleDisk();
      times.push(
        await seconds(async () => {
          await run('cp', [input, copy]);
          if (withSync) await run('sync', []);
        }),
      );
      await rm(copy);
    }
    return bytes / MiB / (times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? Number.NaN);
  };
  const copySyncRate = await timed(true);
  const copyRate = await timed(false);
  await rm(input);
  return { copySyncRate, copyRate };
}

function randomBlock(bytes: number): Buffer {
  const block = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  return block;
}
