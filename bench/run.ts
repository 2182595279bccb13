// `npm run bench`: the issue-2 and issue-3 benchmarks. In one run on this machine, three sections:
// - io: write and read of a 1 GiB file through the SDK and through `gfs cp` / `gfs cat`
//   (3 chunkservers, replication 3, 64 MiB chunks), beside `cp` between two local directories
//   (the disk baseline);
// - metadata: master ops/s with 32 requests in flight beside an in-memory Map (the baseline);
// - append: record-append records/s and MiB/s of 1, 4 and 16 appenders with 1 KiB and 64 KiB
//   records (bench/append.ts), beside the single-client replicated write measured the same way in
//   the same run (writeFile of GFS_BENCH_APPEND_WRITE_MIB, every run after `sync`).
// - mount: `gfs mount` driven by dd and a shell loop (bench/mount.ts), beside `gfs cp` / `gfs cat`
//   of the same file and the same tools on a local directory.
// - gateway: 1 GiB uploaded with curl PUT and downloaded with curl GET through `gfs gateway`
//   (bench/gateway.ts), beside `gfs cp` / `gfs cat` of the same file in the same run.
// - repair: re-replication MiB/s after SIGKILLing a chunkserver holding ≥ 2 GiB (its own master and
//   4 chunkservers, bench/repair.ts), beside `cp` + `sync` of 2 GiB on the local disk.
// - security: `gfs cp` and `gfs cat` of a 256 MiB file and SDK stat/s on a cluster with a secret
//   (chunk access tokens checked on every data request) beside the same on an --insecure cluster,
//   taking turns in the same run (bench/security.ts).
// - master (opt-in: GFS_BENCH_ONLY=master; 3–6 minutes and ~3 GB of memory): restart time of the
//   real `gfs master` with 1 M files and 1 M chunks in the log and in a checkpoint, stat latency
//   while it checkpoints, memory per file and per chunk (bench/master.ts), beside an empty
//   master's restart and the GFS paper's 64 bytes.
// Prints a table and JSON.
//
// Environment (all optional):
//   GFS_BENCH_ONLY              comma-separated sections to run: io, metadata, append, mount,
//                               gateway, repair, security, master (default all but master)
//   GFS_BENCH_PORT              master's port, chunkservers take the following ones (17070)
//   GFS_BENCH_FILE_MIB          io: file size (1024)
//   GFS_BENCH_METADATA_OPS      metadata: operations per measurement (20000)
//   GFS_BENCH_APPEND_RECORDS    append: 1 KiB records per run at most, across all appenders (200000)
//   GFS_BENCH_APPEND_MIB        append: MiB of 64 KiB records per run at most, across appenders (256)
//   GFS_BENCH_APPEND_SECONDS    append: a run starts no record after this many seconds (5)
//   GFS_BENCH_APPEND_OUTSTANDING  append: recordAppend calls each appender keeps outstanding,
//                               for 1 KiB and 64 KiB records, as "small,large" (64,8)
//   GFS_BENCH_APPEND_WRITE_MIB  append: size of the write baseline file (256)
//   GFS_BENCH_MOUNT_FILES       mount: small files per run (2000)
//   GFS_BENCH_REPAIR_GIB        repair: GiB the killed chunkserver holds at least (2)
//   GFS_BENCH_MASTER_FILES      master: files (and chunks) in the data dir (1000000)
//   GFS_BENCH_SECURITY_MIB      security: file size (256)
//   GFS_BENCH_SECURITY_STATS    security: SDK stat calls per measurement, 16 in flight (20000)

import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GfsClient } from '../index.js';
import { RpcClient } from '../shared/http/client.js';
import { createRoute, listRoute, mkdirRoute, statRoute } from '../shared/protocol/namespace.js';
import { type AppendFigure, type AppendRun, LARGE_RECORD_BYTES, measureAppends, sizeLabel } from './append.js';
import { GFS_BIN, startCluster } from './cluster.js';
import { type GatewayFigures, measureGateway } from './gateway.js';
import { type MasterFigures, measureMaster, type Restart } from './master.js';
import { opsPerSecond, run, seconds, settleDisk } from './measure.js';
import { type MountFigures, measureMount } from './mount.js';
import { measureRepair, type RepairFigures } from './repair.js';
import { measureSecurity, type SecurityFigures } from './security.js';

const MiB = 1024 * 1024;
const FILE_BYTES = Number(process.env.GFS_BENCH_FILE_MIB ?? 1024) * MiB;
const METADATA_OPS = Number(process.env.GFS_BENCH_METADATA_OPS ?? 20_000);
const IN_FLIGHT = 32;
const APPEND_RECORDS = Number(process.env.GFS_BENCH_APPEND_RECORDS ?? 200_000);
const APPEND_MIB = Number(process.env.GFS_BENCH_APPEND_MIB ?? 256);
const APPEND_WRITE_BYTES = Number(process.env.GFS_BENCH_APPEND_WRITE_MIB ?? 256) * MiB;
const APPEND_SECONDS = Number(process.env.GFS_BENCH_APPEND_SECONDS ?? 5);
/** Outstanding recordAppend calls per appender, 1 KiB and 64 KiB records: what the SDK can batch. */
const [APPEND_OUTSTANDING_SMALL = 64, APPEND_OUTSTANDING_LARGE = 8] = (
  process.env.GFS_BENCH_APPEND_OUTSTANDING ?? '64,8'
)
  .split(',')
  .map(Number);
/** Issue 3's targets: 16 appenders of 64 KiB records vs the single-client write; 1 KiB records/s. */
const APPEND_LARGE_RATIO_TARGET = 0.5;
const APPEND_SMALL_RECORDS_TARGET = 20_000;
const MOUNT_FILES = Number(process.env.GFS_BENCH_MOUNT_FILES ?? 2_000);
/** Issue 4's targets: the mount against `gfs cp` / `gfs cat`, and small files per second. */
const MOUNT_RATIO_TARGET = 0.7;
const MOUNT_FILES_TARGET = 500;
const REPAIR_VICTIM_BYTES = Number(process.env.GFS_BENCH_REPAIR_GIB ?? 2) * 1024 * MiB;
const MASTER_FILES = Number(process.env.GFS_BENCH_MASTER_FILES ?? 1_000_000);
/** Issue 5's targets: restart with 1 M files and chunks, master memory per chunk and per file. */
const MASTER_RESTART_SECONDS_TARGET = 10;
const MASTER_BYTES_PER_CHUNK_TARGET = 200;
const MASTER_BYTES_PER_FILE_TARGET = 300;
/** The GFS paper (§2.6.1): under 64 bytes of metadata per chunk, and per file. */
const GFS_PAPER_BYTES = 64;

/** Issue 6's target: the gateway's curl upload and download against `gfs cp` / `gfs cat`. */
const GATEWAY_RATIO_TARGET = 0.8;

const SECURITY_FILE_BYTES = Number(process.env.GFS_BENCH_SECURITY_MIB ?? 256) * MiB;
const SECURITY_STATS = Number(process.env.GFS_BENCH_SECURITY_STATS ?? 20_000);
const SECURITY_STATS_IN_FLIGHT = 16;
/** Issue 7's target: throughput with security on against the same with it off, same run. */
const SECURITY_RATIO_TARGET = 0.9;

const SECTIONS = ['io', 'metadata', 'append', 'mount', 'gateway', 'repair', 'security', 'master'] as const;
/** Sections run when GFS_BENCH_ONLY is unset: master takes 3–6 minutes and ~3 GB, so it is opt-in. */
const DEFAULT_SECTIONS: readonly Section[] = ['io', 'metadata', 'append', 'mount', 'gateway', 'repair', 'security'];
/** The sections that share the `gfs cluster` below (repair and master start servers of their own). */
const CLUSTER_SECTIONS: readonly Section[] = ['io', 'metadata', 'append', 'mount', 'gateway'];
type Section = (typeof SECTIONS)[number];
const ONLY = sectionsToRun(process.env.GFS_BENCH_ONLY);

interface Row {
  what: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  target: string;
  /** The same figure in a second unit (append rows: MiB/s beside records/s and back). */
  also?: { value: number; unit: string };
  /** When the baseline is in another unit than the value, and what it is. */
  baselineUnit?: string;
  baselineOf?: string;
  /** Whether the target is met, where the bench can tell. */
  met?: boolean;
  /** Append rows: records and wall time of each run. */
  runs?: AppendRun[];
}

async function makeInput(path: string, bytes = FILE_BYTES): Promise<void> {
  // Incompressible bytes, written once: a 64 MiB random block repeated.
  const block = Buffer.allocUnsafe(64 * MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const file = await open(path, 'w');
  for (let written = 0; written < bytes; written += block.length) {
    await file.write(block, 0, Math.min(block.length, bytes - written));
  }
  await file.sync();
  await file.close();
}

function mbps(bytes: number, secs: number): number {
  return bytes / MiB / secs;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'gfs-bench-'));
  // `gfs cluster` saves an admin token for its master URL, and the CLI runs read it back: keep
  // that in the bench's own directory, not in the user's credentials file.
  process.env.GFS_CONFIG_DIR = join(root, 'config');
  const rows: Row[] = [];
  const port = Number(process.env.GFS_BENCH_PORT ?? 17070);
  try {
    if (ONLY.has('master')) {
      const figures = await measureMaster(root, port + 20, MASTER_FILES, (line) => console.error(line));
      rows.push(...masterRows(figures));
    }
    if (CLUSTER_SECTIONS.some((section) => ONLY.has(section))) rows.push(...(await clusterSections(root, port)));
    if (ONLY.has('repair')) {
      // After the cluster above stopped: its own servers, on ports of their own.
      const figures = await measureRepair(
        root,
        port + 10,
        { victimBytesMin: REPAIR_VICTIM_BYTES, runs: RUNS },
        (line) => console.error(line),
      );
      rows.push(...repairRows(figures));
    }
    if (ONLY.has('security')) {
      // Two clusters of its own, side by side, on ports of their own.
      const input = join(root, 'security-input.bin');
      await makeInput(input, SECURITY_FILE_BYTES);
      const figures = await measureSecurity(
        root,
        port + 30,
        {
          input,
          fileBytes: SECURITY_FILE_BYTES,
          runs: RUNS,
          stats: SECURITY_STATS,
          statsInFlight: SECURITY_STATS_IN_FLIGHT,
        },
        (line) => console.error(line),
      );
      rows.push(...securityRows(figures));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  print(rows);
}

/** The sections measured on one `gfs cluster` of 3 chunkservers. */
async function clusterSections(root: string, port: number): Promise<Row[]> {
  const rows: Row[] = [];
  let stopCluster: (() => Promise<void>) | undefined;
  try {
    const disk = ONLY.has('io') ? await diskBaselines(root) : undefined;

    const cluster = await startCluster(join(root, 'cluster'), port, '64MiB');
    stopCluster = cluster.stop;
    const client = new GfsClient({ master: cluster.masterUrl });
    await client.mkdir('/bench', { recursive: true });

    if (disk !== undefined) rows.push(...(await ioRows(client, cluster.masterUrl, disk)));
    if (ONLY.has('metadata')) rows.push(...(await metadataRows(cluster.masterUrl)));
    if (ONLY.has('append')) {
      // Its own baseline, measured like the appends (after `sync`), not the io section's write.
      const baselineOf = `SDK writeFile of ${APPEND_WRITE_BYTES / MiB} MiB after sync, median of ${RUNS}, this run`;
      const appendBaseline = mbps(APPEND_WRITE_BYTES, await writeBaselineSeconds(client, APPEND_WRITE_BYTES));
      const figures = await measureAppends(
        cluster.masterUrl,
        '/bench',
        {
          smallRecords: APPEND_RECORDS,
          largeMiB: APPEND_MIB,
          runs: RUNS,
          runSecondsMax: APPEND_SECONDS,
          smallOutstanding: APPEND_OUTSTANDING_SMALL,
          largeOutstanding: APPEND_OUTSTANDING_LARGE,
        },
        (line) => console.error(line),
      );
      rows.push(...appendRows(figures, appendBaseline, baselineOf));
    }
    if (ONLY.has('mount')) {
      const input = disk?.input ?? join(root, 'input.bin');
      if (disk === undefined) await makeInput(input);
      const figures = await measureMount(
        cluster.masterUrl,
        root,
        { input, fileBytes: FILE_BYTES, smallFiles: MOUNT_FILES, smallFileBytes: 4096, runs: RUNS },
        (line) => console.error(line),
      );
      rows.push(...mountRows(figures));
    }
    if (ONLY.has('gateway')) {
      const input = disk?.input ?? join(root, 'input.bin');
      if (disk === undefined && !ONLY.has('mount')) await makeInput(input);
      const figures = await measureGateway(
        cluster.masterUrl,
        cluster.gatewayUrl,
        { input, fileBytes: FILE_BYTES, runs: RUNS },
        (line) => console.error(line),
      );
      rows.push(...gatewayRows(figures));
    }
    await client.close();
  } finally {
    await stopCluster?.();
  }
  return rows;
}

interface DiskBaselines {
  input: string;
  diskCopy: number;
  pageCacheRead: number;
  diskSynced: number;
}

async function diskBaselines(root: string): Promise<DiskBaselines> {
  const input = join(root, 'input.bin');
  await makeInput(input);
  await mkdir(join(root, 'copy'));

  // Disk baseline: `cp` between two local directories, the median of three runs (page-cache
  // writeback makes single runs vary by 3x here). `cat` of the copy is shown for reference only.
  const cpRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    cpRuns.push(await seconds(() => run('cp', [input, join(root, 'copy', 'a.bin')])));
    if (i < 2) await rm(join(root, 'copy', 'a.bin'));
  }
  const diskCopy = mbps(FILE_BYTES, median(cpRuns));
  const devNull = await open('/dev/null', 'w');
  const pageCacheRead = mbps(FILE_BYTES, await seconds(() => run('cat', [join(root, 'copy', 'a.bin')], devNull.fd)));
  await devNull.close();
  await rm(join(root, 'copy', 'a.bin'));
  // The same copy until it is on disk (cp, then sync), for reference: plain cp ends in the page cache.
  const diskSynced = mbps(
    FILE_BYTES,
    await seconds(async () => {
      await run('cp', [input, join(root, 'copy', 'b.bin')]);
      await run('sync', []);
    }),
  );
  await rm(join(root, 'copy', 'b.bin'));
  return { input, diskCopy, pageCacheRead, diskSynced };
}

async function ioRows(client: GfsClient, masterUrl: string, disk: DiskBaselines): Promise<Row[]> {
  const { input, diskCopy } = disk;
  const master = ['--master', masterUrl];
  const devNull = await open('/dev/null', 'w');
  // Each gfs figure is the median of RUNS, like the cp baseline: the first write of a run touches
  // page-cache memory the VM has not used yet, later ones reuse pages freed by the previous file.
  const sdkWrite = mbps(
    FILE_BYTES,
    await medianSeconds(
      () => pipeline(createReadStream(input, { highWaterMark: 4 * MiB }), client.createWriteStream('/bench/sdk.bin')),
      releaseReplicas,
    ),
  );
  const sdkRead = mbps(
    FILE_BYTES,
    await medianSeconds(() => pipeline(client.createReadStream('/bench/sdk.bin'), discard())),
  );
  const cliWrite = mbps(
    FILE_BYTES,
    await medianSeconds(
      () => run(process.execPath, [GFS_BIN, ...master, 'cp', input, 'gfs:/bench/cli.bin']),
      releaseReplicas,
    ),
  );
  const cliRead = mbps(
    FILE_BYTES,
    await medianSeconds(() => run(process.execPath, [GFS_BIN, ...master, 'cat', 'gfs:/bench/cli.bin'], devNull.fd)),
  );
  await devNull.close();
  return [
    row('write, SDK', sdkWrite, 'MiB/s', diskCopy, '≥ 0.30'),
    row('write, gfs cp', cliWrite, 'MiB/s', diskCopy, '≥ 0.30'),
    row('read, SDK', sdkRead, 'MiB/s', diskCopy, '≥ 0.60'),
    row('read, gfs cat', cliRead, 'MiB/s', diskCopy, '≥ 0.60'),
    row('local cat (page cache, reference)', disk.pageCacheRead, 'MiB/s', diskCopy, '—'),
    row('local cp + sync (to disk, reference)', disk.diskSynced, 'MiB/s', diskCopy, '—'),
  ];
}

/** Master RPCs as the SDK sends them, 32 in flight on keep-alive connections. */
async function metadataRows(address: string): Promise<Row[]> {
  const rpc = new RpcClient({ connectionsPerOrigin: IN_FLIGHT });
  try {
    await rpc.call(address, mkdirRoute, { path: '/meta', recursive: true });
    const memory = new Map<string, { size: number }>();
    const mapSet = await opsPerSecond(METADATA_OPS, IN_FLIGHT, async (i) => memory.set(`/meta/f${i}`, { size: 0 }));
    const mapGet = await opsPerSecond(METADATA_OPS, IN_FLIGHT, async (i) => memory.get(`/meta/f${i}`));
    const creates = await opsPerSecond(METADATA_OPS, IN_FLIGHT, (i) =>
      rpc.call(address, createRoute, { path: `/meta/f${i}`, overwrite: false }),
    );
    const stats = await opsPerSecond(METADATA_OPS * 2, IN_FLIGHT, (i) =>
      rpc.call(address, statRoute, { path: `/meta/f${i % METADATA_OPS}` }),
    );
    const small = '/meta-small';
    await rpc.call(address, mkdirRoute, { path: small, recursive: true });
    for (let i = 0; i < 10; i++) await rpc.call(address, createRoute, { path: `${small}/f${i}`, overwrite: false });
    const lists = await opsPerSecond(METADATA_OPS, IN_FLIGHT, () => rpc.call(address, listRoute, { path: small }));
    return [
      row('create', creates, 'ops/s', mapSet, '≥ 3,000/s'),
      row('stat', stats, 'ops/s', mapGet, '≥ 15,000/s'),
      row('ls (10 entries)', lists, 'ops/s', mapGet, '—'),
    ];
  } finally {
    await rpc.close();
  }
}

/** The single-client replicated write the append rows are compared with: writeFile of `bytes`. */
async function writeBaselineSeconds(client: GfsClient, bytes: number): Promise<number> {
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const elapsed = await medianSeconds(
    () => client.writeFile('/bench/append-baseline.bin', data),
    async () => {
      await releaseReplicas();
      await settleDisk();
    },
    settleDisk,
  );
  await client.rm('/bench/append-baseline.bin');
  return elapsed;
}

/**
 * One row per append figure: 1 KiB records in records/s, 64 KiB records in MiB/s, the other unit
 * beside it. Every row's baseline is the single-client write in MiB/s and its ratio is the
 * append MiB/s over it (payload bytes, frames not counted).
 */
function appendRows(figures: AppendFigure[], writeMiBps: number, baselineOf: string): Row[] {
  return figures.map((figure) => {
    const what = `append ${sizeLabel(figure.recordBytes)} × ${figure.appenders} appender${figure.appenders === 1 ? '' : 's'}`;
    const ratio = figure.mibPerSecond / writeMiBps;
    const shared = { what, baseline: writeMiBps, baselineUnit: 'MiB/s', baselineOf, ratio, runs: figure.runs };
    const recordsPerSecond = { value: figure.recordsPerSecond, unit: 'rec/s' };
    const mibPerSecond = { value: figure.mibPerSecond, unit: 'MiB/s' };
    if (figure.recordBytes === LARGE_RECORD_BYTES) {
      const targeted = figure.appenders === 16;
      return {
        ...shared,
        ...mibPerSecond,
        also: recordsPerSecond,
        target: targeted ? `≥ ${APPEND_LARGE_RATIO_TARGET} × write` : '—',
        ...(targeted ? { met: ratio >= APPEND_LARGE_RATIO_TARGET } : {}),
      };
    }
    return {
      ...shared,
      ...recordsPerSecond,
      also: mibPerSecond,
      target: `≥ ${APPEND_SMALL_RECORDS_TARGET.toLocaleString('en-US')} rec/s`,
      met: figure.recordsPerSecond >= APPEND_SMALL_RECORDS_TARGET,
    };
  });
}

function mountRows(figures: MountFigures): Row[] {
  const size = `${FILE_BYTES / MiB} MiB`;
  const ratioRow = (what: string, value: number, baseline: number, baselineOf: string) =>
    targetRatioRow(what, value, baseline, baselineOf, MOUNT_RATIO_TARGET);
  return [
    ratioRow(`mount: dd write ${size} (bs=1M, fsync)`, figures.mountWrite, figures.cliWrite, 'gfs cp'),
    ratioRow(`mount: dd read ${size} (bs=1M, cold)`, figures.mountRead, figures.cliRead, 'gfs cat'),
    {
      what: `mount: create+write+close ${MOUNT_FILES} files of 4 KiB`,
      value: figures.mountSmallFiles,
      unit: 'files/s',
      baseline: figures.localSmallFiles,
      baselineOf: 'the same loop on a local directory',
      ratio: figures.mountSmallFiles / figures.localSmallFiles,
      target: `≥ ${MOUNT_FILES_TARGET} files/s`,
      met: figures.mountSmallFiles >= MOUNT_FILES_TARGET,
    },
    row(
      `mount: the same loop until \`sync DIR\` returns (every file on the cluster; reference)`,
      figures.mountSmallFilesSent,
      'files/s',
      figures.localSmallFiles,
      '—',
    ),
    row(
      `FUSE floor: the same ${MOUNT_FILES} files on an in-memory FUSE file system (reference)`,
      figures.floorSmallFiles,
      'files/s',
      figures.localSmallFiles,
      '—',
    ),
    row(
      `gfs cp -r of the same ${MOUNT_FILES} files from a local directory (reference)`,
      figures.cliTreeFiles,
      'files/s',
      figures.localTreeFiles,
      '—',
    ),
    row('local dd write (reference)', figures.localWrite, 'MiB/s', figures.cliWrite, '—'),
    row('local dd read, cold (reference)', figures.localRead, 'MiB/s', figures.cliRead, '—'),
  ];
}

function gatewayRows(figures: GatewayFigures): Row[] {
  const size = `${FILE_BYTES / MiB} MiB`;
  const ratioRow = (what: string, value: number, baseline: number, baselineOf: string) =>
    targetRatioRow(what, value, baseline, baselineOf, GATEWAY_RATIO_TARGET);
  return [
    ratioRow(`gateway: curl PUT ${size}`, figures.curlUpload, figures.cliUpload, 'gfs cp, same run'),
    ratioRow(`gateway: curl GET ${size} (cold)`, figures.curlDownload, figures.cliDownload, 'gfs cat, same run'),
  ];
}

function securityRows(figures: SecurityFigures): Row[] {
  const size = `${SECURITY_FILE_BYTES / MiB} MiB`;
  const off = 'security off (--insecure), same run';
  return [
    targetRatioRow(`security on: gfs cp ${size}`, figures.cpOn, figures.cpOff, off, SECURITY_RATIO_TARGET),
    targetRatioRow(`security on: gfs cat ${size} (cold)`, figures.catOn, figures.catOff, off, SECURITY_RATIO_TARGET),
    {
      ...targetRatioRow(
        `security on: SDK stat, ${SECURITY_STATS_IN_FLIGHT} in flight`,
        figures.statOn,
        figures.statOff,
        off,
        SECURITY_RATIO_TARGET,
      ),
      unit: 'ops/s',
    },
  ];
}

/** A MiB/s figure against a baseline of the same run, with a target ratio. */
function targetRatioRow(what: string, value: number, baseline: number, baselineOf: string, target: number): Row {
  const ratio = value / baseline;
  return {
    what,
    value,
    unit: 'MiB/s',
    baseline,
    ratio,
    baselineOf,
    target: `≥ ${target} × ${baselineOf}`,
    met: ratio >= target,
  };
}

function repairRows(figures: RepairFigures): Row[] {
  const held = `${(figures.victimBytes / 1024 / MiB).toFixed(2)} GiB`;
  const baselineOf = 'local cp + sync of the same size, median of 3, this run';
  const ratioRow = (what: string, value: number): Row => ({
    what,
    value,
    unit: 'MiB/s',
    baseline: figures.copySyncRate,
    ratio: value / figures.copySyncRate,
    baselineOf,
    target: '—',
  });
  return [
    ratioRow(
      `re-replication after killing a chunkserver holding ${held} (${figures.clones} clones in ${figures.cloneSeconds.toFixed(1)} s)`,
      figures.cloneRate,
    ),
    ratioRow(
      `repair: kill → fsck healthy, detection (--dead-after 3s) included (${figures.killToHealthySeconds.toFixed(1)} s, reference)`,
      figures.killToHealthyRate,
    ),
    ratioRow('local cp without sync (page cache, reference)', figures.copyRate),
  ];
}

function masterRows(figures: MasterFigures): Row[] {
  const scale = `${millions(figures.files)} files, ${millions(figures.files)} chunks`;
  const restartRow = (what: string, restart: Restart): Row => ({
    what: `${what} (${scale}; CPU ${restart.cpuSeconds.toFixed(1)} s)`,
    value: restart.seconds,
    unit: 's',
    baseline: figures.empty.seconds,
    baselineOf: 'restart of an empty master, same run',
    ratio: restart.seconds / figures.empty.seconds,
    target: `≤ ${MASTER_RESTART_SECONDS_TARGET} s`,
    met: restart.seconds <= MASTER_RESTART_SECONDS_TARGET,
  });
  const memoryRow = (what: string, bytes: number, target?: number): Row => ({
    what,
    value: bytes,
    unit: 'B',
    baseline: GFS_PAPER_BYTES,
    baselineOf: 'the GFS paper: under 64 bytes per chunk, and per file',
    ratio: bytes / GFS_PAPER_BYTES,
    target: target === undefined ? '—' : `≤ ${target} B`,
    ...(target === undefined ? {} : { met: bytes <= target }),
  });
  const stallRow = (what: string, value: number, baseline: number): Row => ({
    what,
    value,
    unit: 'ms',
    baseline,
    baselineOf: 'the same stats with no checkpoint running, same run',
    ratio: value / baseline,
    target: '—',
  });
  const { memoryLoaded: loaded, memoryReplayed: replayed, checkpoint } = figures;
  const rssPerFile = (figures.fromCheckpoint.rssBytes - figures.empty.rssBytes) / figures.files;
  return [
    restartRow(
      `master restart, checkpoint + ${figures.fromCheckpoint.replayed}-record log tail`,
      figures.fromCheckpoint,
    ),
    restartRow(`master restart, all in the log (${millions(figures.fromLog.replayed)} records)`, figures.fromLog),
    memoryRow('master memory per file', loaded.bytesPerFile, MASTER_BYTES_PER_FILE_TARGET),
    memoryRow('master memory per chunk: chunk table + file list', loaded.bytesPerChunk),
    memoryRow(
      'master memory per chunk, with 3 replica locations',
      loaded.bytesPerChunk + loaded.locationBytesPerChunk,
      MASTER_BYTES_PER_CHUNK_TARGET,
    ),
    memoryRow(
      '  same, state rebuilt from the log instead',
      replayed.bytesPerChunk + replayed.locationBytesPerChunk,
      MASTER_BYTES_PER_CHUNK_TARGET,
    ),
    memoryRow('master RSS over an empty one, per file + chunk (reference)', rssPerFile),
    stallRow('stat p99 while the master checkpoints', figures.statDuringCheckpoint.p99Ms, figures.statIdle.p99Ms),
    stallRow('stat max while the master checkpoints', figures.statDuringCheckpoint.maxMs, figures.statIdle.maxMs),
    {
      what: `checkpoint in a worker (${(checkpoint.bytes / MiB).toFixed(0)} MiB; rebuild ${(checkpoint.rebuildMs / 1000).toFixed(1)} s, write ${(checkpoint.writeMs / 1000).toFixed(1)} s)`,
      value: checkpoint.seconds,
      unit: 's',
      baseline: figures.fromLog.seconds,
      baselineOf: 'the log-only restart, same run',
      ratio: checkpoint.seconds / figures.fromLog.seconds,
      target: '—',
    },
  ];
}

function millions(count: number): string {
  return count >= 1_000_000
    ? `${(count / 1_000_000).toFixed(count % 1_000_000 === 0 ? 0 : 1)} M`
    : count.toLocaleString('en-US');
}

function sectionsToRun(only: string | undefined): Set<Section> {
  if (only === undefined || only.trim() === '') return new Set(DEFAULT_SECTIONS);
  const names = only.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`GFS_BENCH_ONLY: unknown section ${name} (sections: ${SECTIONS.join(', ')})`);
    }
  }
  return new Set(names as Section[]);
}

const RUNS = 3;

/** Median wall time of RUNS runs; `between` runs after every run but the last, `before` before the first. */
async function medianSeconds(
  action: () => Promise<unknown>,
  between?: () => Promise<void>,
  before?: () => Promise<void>,
): Promise<number> {
  await before?.();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await seconds(action));
    if (i < RUNS - 1) await between?.();
  }
  return median(runs);
}

/**
 * The next run overwrites the file; its old chunks are deleted on the chunkservers at their next
 * heartbeats (1 s apart), so give them that long, as `rm` does for the cp baseline.
 */
async function releaseReplicas(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 3_000));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function row(what: string, value: number, unit: string, baseline: number, target: string): Row {
  return { what, value, unit, baseline, ratio: value / baseline, target };
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

function print(rows: Row[]): void {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  console.log(
    `gfs bench ${new Date().toISOString()} — ${cpus().length} × ${cpu}, sections ${[...ONLY].join(', ')}, ` +
      `file ${FILE_BYTES / MiB} MiB, ${IN_FLIGHT} in flight`,
  );
  console.log('| measurement | gfs | baseline | ratio | target |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    const also = r.also === undefined ? '' : ` (${figure(r.also.value)} ${r.also.unit})`;
    const met = r.met === undefined ? '' : r.met ? ' — met' : ' — not met';
    console.log(
      `| ${r.what} | ${figure(r.value)} ${r.unit}${also} | ${figure(r.baseline)} ${r.baselineUnit ?? r.unit} | ` +
        `${r.ratio.toFixed(3)} | ${r.target}${met} |`,
    );
  }
  const baselines = new Set(rows.flatMap((r) => (r.baselineOf === undefined ? [] : [r.baselineOf])));
  for (const baselineOf of baselines) console.log(`baseline: ${baselineOf}`);
  console.log(JSON.stringify(rows));
}

/** Whole numbers from 100 up, one decimal below (append MiB/s of small records is a few MiB/s). */
function figure(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
