// `gfs mount`'s life: SIGTERM/SIGINT unmount and exit 0 (bytes still gathered reach the cluster
// first); a mount whose process was killed is cleaned up (by libfuse's watchdog, or, if that died
// too, by the next `gfs mount`, which detects the stale mount); and every way it can fail to start
// is one line on stderr and exit 1.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from '../harness/cluster.js';
import { runGfs } from '../harness/gfs-cli.js';
import { forceUnmount, isMounted, sh, shOk, stopAllMounts, TestMount } from '../harness/mount.js';
import { waitFor } from '../harness/wait.js';

let cluster: TestCluster;
let scratch: string;
const helpers = new Set<ChildProcess>();

beforeAll(async () => {
  cluster = await TestCluster.start();
  scratch = await mkdtemp(join(await realpath(tmpdir()), 'gfs-mount-life-'));
});

afterAll(async () => {
  for (const helper of helpers) if (helper.exitCode === null) helper.kill('SIGKILL');
  await stopAllMounts();
  await cluster?.stop();
  if (scratch) {
    for (const name of await readdir(scratch).catch(() => [])) await forceUnmount(join(scratch, name));
    await rm(scratch, { recursive: true, force: true });
  }
});

/** The pids of a process's children (every thread's), read from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const children: number[] = [];
  for (const task of tasks) {
    const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    children.push(...text.split(' ').filter(Boolean).map(Number));
  }
  return children;
}

async function commandOf(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
}

describe('gfs mount lifecycle', () => {
  it('SIGTERM: what an open file still gathers is written, the mount point is released, exit 0', async () => {
    const mount = await TestMount.start(cluster);
    // A writer that keeps its file open: its bytes sit in the mount's buffer, not yet sent.
    const writer = spawn('bash', ['-c', `exec 3>"${mount.dir}/held"; printf 'held data' >&3; sleep 60`], {
      stdio: 'ignore',
    });
    helpers.add(writer);
    try {
      await waitFor('the held write', async () => (await sh(`stat -c %s "${mount.dir}/held"`)).stdout.trim() === '9');
      mount.signal('SIGTERM');
      expect(await mount.exited).toBe(0);
      await waitFor('the mount point released', async () => !(await isMounted(mount.dir)), 10_000);
    } finally {
      writer.kill('SIGKILL');
      await mount.stop();
    }
    expect((await cluster.gfs(['cat', 'gfs:/held'])).stdout.toString()).toBe('held data');
  });

  it('SIGINT unmounts and exits 0 as well', async () => {
    const mount = await TestMount.start(cluster);
    await shOk(`echo hi > "${mount.dir}/sigint"`);
    mount.signal('SIGINT');
    expect(await mount.exited).toBe(0);
    expect(await isMounted(mount.dir)).toBe(false);
    await mount.stop();
  });

  it('unmounted from outside (fusermount -u), the mount process notices and exits 0', async () => {
    const mount = await TestMount.start(cluster);
    await shOk(`fusermount -u "${mount.dir}"`);
    expect(await mount.exited).toBe(0);
    await mount.stop();
  });

  it('a SIGKILLed mount is unmounted by the watchdog, and mounting there again works', async () => {
    const dir = join(scratch, 'killed');
    await mkdir(dir);
    const mount = await TestMount.start(cluster, { dir });
    mount.signal('SIGKILL');
    await mount.exited;
    await waitFor('the watchdog to unmount', async () => !(await isMounted(dir)), 15_000);
    const again = await TestMount.start(cluster, { dir });
    await shOk(`echo back > "${dir}/after-kill" && cat "${dir}/after-kill"`);
    expect(await again.stop()).toBe(0);
  });

  it('a stale mount (process and watchdog both killed) is detected and replaced by the next mount', async () => {
    const dir = join(scratch, 'stale');
    await mkdir(dir);
    const mount = await TestMount.start(cluster, { dir });
    const pid = mount.process.pid as number;
    const watchdogs = [];
    for (const child of await childrenOf(pid))
      if ((await commandOf(child)).includes('fusermount')) watchdogs.push(child);
    expect(watchdogs).toHaveLength(1);
    process.kill(watchdogs[0] as number, 'SIGKILL');
    mount.signal('SIGKILL');
    await mount.exited;
    expect(await isMounted(dir)).toBe(true);
    expect((await sh(`ls "${dir}"`)).stderr).toContain('Transport endpoint is not connected');

    const again = await TestMount.start(cluster, { dir });
    expect(again.stderr).toContain(`gfs: cleared a stale mount`);
    await shOk(`echo fresh > "${dir}/after-stale" && cat "${dir}/after-stale"`);
    expect(await again.stop()).toBe(0);
  });

  it('refuses a live mount point, a missing, non-directory or non-empty one: one line, exit 1', async () => {
    const live = await TestMount.start(cluster);
    try {
      const file = join(scratch, 'a-file');
      const full = join(scratch, 'full');
      await writeFile(file, 'x');
      await mkdir(full);
      await writeFile(join(full, 'inside'), 'x');
      for (const [dir, message] of [
        [live.dir, `gfs: already mounted (fuse.gfs; unmount it with fusermount -u): ${live.dir}`],
        [join(scratch, 'missing'), `gfs: mount point does not exist: ${join(scratch, 'missing')}`],
        [file, `gfs: mount point is not a directory: ${file}`],
        [full, `gfs: mount point is not empty: ${full}`],
      ]) {
        const result = await runGfs(['--master', cluster.masterUrl, 'mount', dir as string]);
        expect(result.code, dir).toBe(1);
        expect(result.stderr, dir).toBe(`${message}\n`);
      }
    } finally {
      expect(await live.stop()).toBe(0);
    }
  });

  it('an unreachable master and a missing FUSE are one clear line each, exit 1, nothing mounted', async () => {
    const dir = join(scratch, 'unused');
    await mkdir(dir);
    const noMaster = await runGfs(['--master', 'http://127.0.0.1:9', 'mount', dir]);
    expect(noMaster.code).toBe(1);
    expect(noMaster.stderr).toMatch(/^gfs: cannot reach server.*: .*127\.0\.0\.1:9\n$/);

    // Without fusermount on the PATH, FUSE cannot work: the message says what to install.
    const noFuse = await runGfs(['--master', cluster.masterUrl, 'mount', dir], { env: { PATH: '/nonexistent' } });
    expect(noFuse.code).toBe(1);
    expect(noFuse.stderr).toBe(
      'gfs: FUSE is not available: fusermount is missing (apt-get install fuse libfuse-dev pkg-config, then npm rebuild @cocalc/fuse-native): fusermount\n',
    );
    expect(await isMounted(dir)).toBe(false);
  });
});
