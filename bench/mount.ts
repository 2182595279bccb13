// The mount part of `npm run bench` (issue 4): `gfs mount` driven by ordinary tools, beside the
// same tools on a local directory and beside `gfs cp` / `gfs cat` of the same file in the same run.
// - sequential write: `dd bs=1M conv=fsync` of the input file into the mount (the time includes
//   the final fsync, which returns once every replica has the data), vs `gfs cp` of the same file;
// - sequential read: `dd bs=1M` of that file out of the mount to /dev/null, vs `gfs cat` of the
//   same file to /dev/null, each after the page cache is dropped;
// - small files: a bash loop that creates, writes and closes 2,000 files of 4 KiB (`printf > f`,
//   no fork per file, like ../shared/bench/fs-bench.sh), vs the same loop on a local directory
//   and on the FUSE floor (bench/fuse-floor.ts: what FUSE, the kernel and bash cost by themselves);
//   through the mount, the loop's rate (what close(2) returning allows: with write-back the files
//   are sent in the background) and the rate until `sync DIR` (fsync of the directory) returns, that
//   is until every file is on the cluster, each the median of its own runs;
//   then `gfs cp -r` of the loop's local directory into the cluster, beside `cp -r` of it locally.
// Every gfs figure is the median of 3 runs, each one starting after `sync`, the mount's and the
// CLI's in turn; the local figures are references, not what the targets compare with.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { GFS_BIN } from './cluster.js';
import { mountFuseFloor } from './fuse-floor.js';
import { dropCaches, median, run, runToNull, settleDisk, takingTurns } from './measure.js';

const MiB = 1024 * 1024;
const MOUNT_READY_MS_MAX = 30_000;
const UNMOUNT_MS_MAX = 30_000;

export interface MountSettings {
  /** A local file of `fileBytes` random bytes to copy in. */
  input: string;
  fileBytes: number;
  smallFiles: number;
  smallFileBytes: number;
  runs: number;
}

export interface MountFigures {
  /** MiB/s. */
  mountWrite: number;
  mountRead: number;
  cliWrite: number;
  cliRead: number;
  localWrite: number;
  localRead: number;
  /** Files/s: the loop (close returned), and the loop plus `sync DIR` (every file on the cluster). */
  mountSmallFiles: number;
  mountSmallFilesSent: number;
  localSmallFiles: number;
  /** The same loop on an in-memory FUSE file system with the mount's options. */
  floorSmallFiles: number;
  /** `gfs cp -r` of the loop's local directory into the cluster, and `cp -r` of it locally. */
  cliTreeFiles: number;
  localTreeFiles: number;
}

export async function measureMount(
  masterUrl: string,
  root: string,
  settings: MountSettings,
  log: (line: string) => void = () => undefined,
): Promise<MountFigures> {
  const mountpoint = join(root, 'mnt');
  const local = join(root, 'local');
  await mkdir(mountpoint, { recursive: true });
  await mkdir(local, { recursive: true });
  const mount = await startMount(masterUrl, mountpoint);
  try {
    await mkdir(join(mountpoint, 'bench-mount'), { recursive: true });
    const inMount = (name: string) => join(mountpoint, 'bench-mount', name);
    const master = ['--master', masterUrl];
    const { input, fileBytes, runs } = settings;
    const rate = (secs: number) => fileBytes / MiB / secs;

    // Each side runs in turn with the other (who goes first swaps every run), and both reads come
    // from the same file after the page cache is dropped: only the read path differs.
    const [cliWriteSecs, mountWriteSecs] = await takingTurns(
      runs,
      () => run(process.execPath, [GFS_BIN, ...master, 'cp', input, 'gfs:/bench-mount/cli.bin']),
      () => ddWrite(input, inMount('dd.bin')),
    );
    const [cliReadSecs, mountReadSecs] = await takingTurns(
      runs,
      () => runToNull(process.execPath, [GFS_BIN, ...master, 'cat', 'gfs:/bench-mount/dd.bin']),
      () => ddRead(inMount('dd.bin'), fileBytes),
      dropCaches,
    );
    const [cliWrite, mountWrite] = [rate(cliWriteSecs), rate(mountWriteSecs)];
    const [cliRead, mountRead] = [rate(cliReadSecs), rate(mountReadSecs)];
    log(`mount: gfs cp ${cliWrite.toFixed(0)} MiB/s, gfs cat ${cliRead.toFixed(0)} MiB/s`);
    log(`mount: dd write ${mountWrite.toFixed(0)} MiB/s, dd read ${mountRead.toFixed(0)} MiB/s`);

    const localWrite = rate(await median(1, () => ddWrite(input, join(local, 'dd.bin'))));
    const localRead = rate(await median(1, () => ddRead(join(local, 'dd.bin'), fileBytes), dropCaches));
    await rm(join(local, 'dd.bin'));

    let round = 0;
    const smallRun = (dir: string) => async () => {
      const target = join(dir, `small-${round++}`);
      await mkdir(target);
      return smallFilesLoop(target, settings.smallFiles, settings.smallFileBytes);
    };
    // Each mount run ends with `sync DIR`, so the next starts with nothing still being sent.
    const loopSecs: number[] = [];
    const sentSecs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const target = join(mountpoint, 'bench-mount', `small-${round++}`);
      await mkdir(target);
      await settleDisk();
      const started = performance.now();
      await smallFilesLoop(target, settings.smallFiles, settings.smallFileBytes);
      loopSecs.push((performance.now() - started) / 1000);
      await run('sync', [target]);
      sentSecs.push((performance.now() - started) / 1000);
    }
    const mountSmallFiles = settings.smallFiles / middle(loopSecs);
    const mountSmallFilesSent = settings.smallFiles / middle(sentSecs);
    const localSmallFiles = settings.smallFiles / (await median(1, smallRun(local)));
    const tree = join(local, `small-${round - 1}`);
    const cliTreeFiles =
      settings.smallFiles /
      (await median(runs, () =>
        run(process.execPath, [GFS_BIN, ...master, 'cp', '-r', tree, `gfs:/bench-mount/tree-${round++}`]),
      ));
    const localTreeFiles =
      settings.smallFiles / (await median(1, () => run('cp', ['-r', tree, join(local, `tree-${round++}`)])));
    const floorSmallFiles = settings.smallFiles / (await floorSeconds(join(root, 'floor'), runs, smallRun));
    log(
      `mount: ${settings.smallFiles} small files ${mountSmallFiles.toFixed(0)}/s, all on the cluster ${mountSmallFilesSent.toFixed(0)}/s (local ${localSmallFiles.toFixed(0)}/s, FUSE floor ${floorSmallFiles.toFixed(0)}/s)`,
    );
    log(`mount: gfs cp -r of them ${cliTreeFiles.toFixed(0)}/s (local cp -r ${localTreeFiles.toFixed(0)}/s)`);

    await rm(join(mountpoint, 'bench-mount'), { recursive: true });
    return {
      mountWrite,
      mountRead,
      cliWrite,
      cliRead,
      localWrite,
      localRead,
      mountSmallFiles,
      mountSmallFilesSent,
      localSmallFiles,
      floorSmallFiles,
      cliTreeFiles,
      localTreeFiles,
    };
  } finally {
    await mount.stop();
    await rm(local, { recursive: true, force: true });
  }
}

/** The median seconds of `runs` small-file loops on the FUSE floor, mounted at `mountpoint` for them. */
async function floorSeconds(
  mountpoint: string,
  runs: number,
  smallRun: (dir: string) => () => Promise<void>,
): Promise<number> {
  await mkdir(mountpoint, { recursive: true });
  const floor = await mountFuseFloor(mountpoint);
  try {
    return await median(runs, smallRun(mountpoint));
  } finally {
    await floor.unmount();
    await rm(mountpoint, { recursive: true, force: true });
  }
}

interface RunningMount {
  stop(): Promise<void>;
}

/** `gfs mount` in the foreground, as a user runs it; ready once the kernel lists the mount. */
async function startMount(masterUrl: string, mountpoint: string): Promise<RunningMount> {
  const child: ChildProcess = spawn(process.execPath, [GFS_BIN, '--master', masterUrl, 'mount', mountpoint], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, GFS_LOG_LEVEL: 'warn' },
  });
  const exited = once(child, 'exit');
  const deadline = Date.now() + MOUNT_READY_MS_MAX;
  while (!(await isMounted(mountpoint))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('gfs mount exited before it mounted');
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`gfs mount did not mount ${mountpoint} within ${MOUNT_READY_MS_MAX} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), UNMOUNT_MS_MAX);
        await exited;
        clearTimeout(timer);
      }
      // A mount process that died without unmounting leaves the mountpoint stale: release it.
      if (await isMounted(mountpoint)) await run('fusermount', ['-u', '-z', mountpoint]).catch(() => undefined);
    },
  };
}

async function isMounted(mountpoint: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[1] === mountpoint);
}

function ddWrite(from: string, to: string): Promise<void> {
  return run('dd', [`if=${from}`, `of=${to}`, 'bs=1M', 'conv=fsync', 'status=none']);
}

/** `dd` to /dev/null, as `gfs cat` is measured: nothing of the bytes passes through this process. */
async function ddRead(from: string, expectedBytes: number): Promise<void> {
  const child = spawn('dd', [`if=${from}`, 'of=/dev/null', 'bs=1M'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let summary = '';
  child.stderr?.on('data', (piece: Buffer) => {
    summary += piece.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`dd if=${from} exited with ${code}: ${summary.trim()}`);
  // dd's last line: "N bytes (…) copied, …".
  const bytes = Number(/^(\d+) bytes/m.exec(summary)?.[1]);
  if (bytes !== expectedBytes) throw new Error(`dd read ${bytes} bytes of ${from}, expected ${expectedBytes}`);
}

function middle(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** create + write + close of `count` files, in one bash process as fs-bench.sh does it. */
function smallFilesLoop(dir: string, count: number, bytes: number): Promise<void> {
  const script = `blk=$(head -c ${bytes} /dev/zero | tr '\\0' x); for ((k=0; k<${count}; k++)); do printf '%s' "$blk" > "$0/f$k"; done`;
  return run('bash', ['-c', script, dir]);
}
