// `npm run bench`: the issue-2 benchmark. In one run on this machine: write and read of a 1 GiB
// file through the SDK and through `gfs cp` / `gfs cat` (3 chunkservers, replication 3, 64 MiB
// chunks), beside `cp` between two local directories (the disk baseline); metadata ops/s with 32
// requests in flight beside an in-memory Map (the metadata baseline). Prints a table and JSON.

import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GfsClient } from '../index.js';
import { RpcClient } from '../shared/http/client.js';
import { createRoute, listRoute, mkdirRoute, statRoute } from '../shared/protocol/namespace.js';
import { GFS_BIN, startCluster } from './cluster.js';
import { opsPerSecond, run, seconds } from './measure.js';

const MiB = 1024 * 1024;
const FILE_BYTES = Number(process.env.GFS_BENCH_FILE_MIB ?? 1024) * MiB;
const METADATA_OPS = Number(process.env.GFS_BENCH_METADATA_OPS ?? 20_000);
const IN_FLIGHT = 32;

interface Row {
  what: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  target: string;
}

async function makeInput(path: string): Promise<void> {
  // Incompressible bytes, written once: a 64 MiB random block repeated.
  const block = Buffer.allocUnsafe(64 * MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const file = await open(path, 'w');
  for (let written = 0; written < FILE_BYTES; written += block.length) {
    await file.write(block, 0, Math.min(block.length, FILE_BYTES - written));
  }
  await file.sync();
  await file.close();
}

function mbps(bytes: number, secs: number): number {
  return bytes / MiB / secs;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'gfs-bench-'));
  const rows: Row[] = [];
  const port = Number(process.env.GFS_BENCH_PORT ?? 17070);
  let stopCluster: (() => Promise<void>) | undefined;
  try {
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

    const cluster = await startCluster(join(root, 'cluster'), port, '64MiB');
    stopCluster = cluster.stop;
    const client = new GfsClient({ master: cluster.masterUrl });
    const master = ['--master', cluster.masterUrl];
    await client.mkdir('/bench', { recursive: true });

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
    rows.push(row('write, SDK', sdkWrite, 'MiB/s', diskCopy, '≥ 0.30'));
    rows.push(row('write, gfs cp', cliWrite, 'MiB/s', diskCopy, '≥ 0.30'));
    rows.push(row('read, SDK', sdkRead, 'MiB/s', diskCopy, '≥ 0.60'));
    rows.push(row('read, gfs cat', cliRead, 'MiB/s', diskCopy, '≥ 0.60'));
    rows.push(row('local cat (page cache, reference)', pageCacheRead, 'MiB/s', diskCopy, '—'));
    rows.push(row('local cp + sync (to disk, reference)', diskSynced, 'MiB/s', diskCopy, '—'));

    // Metadata: master RPCs as the SDK sends them, 32 in flight on keep-alive connections.
    const rpc = new RpcClient({ connectionsPerOrigin: IN_FLIGHT });
    const address = cluster.masterUrl;
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
    rows.push(row('create', creates, 'ops/s', mapSet, '≥ 3,000/s'));
    rows.push(row('stat', stats, 'ops/s', mapGet, '≥ 15,000/s'));
    rows.push(row('ls (10 entries)', lists, 'ops/s', mapGet, '—'));
    await rpc.close();
    await client.close();
  } finally {
    await stopCluster?.();
    await rm(root, { recursive: true, force: true });
  }
  print(rows);
}

const RUNS = 3;

/** Median wall time of RUNS runs; `between` runs after every run but the last. */
async function medianSeconds(action: () => Promise<unknown>, between?: () => Promise<void>): Promise<number> {
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
    `gfs bench ${new Date().toISOString()} — ${cpus().length} × ${cpu}, file ${FILE_BYTES / MiB} MiB, ${IN_FLIGHT} in flight`,
  );
  console.log('| measurement | gfs | baseline | ratio | target |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.what} | ${r.value.toFixed(0)} ${r.unit} | ${r.baseline.toFixed(0)} ${r.unit} | ${r.ratio.toFixed(3)} | ${r.target} |`,
    );
  }
  console.log(JSON.stringify(rows));
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
