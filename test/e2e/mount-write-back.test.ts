// Write-back under directory delegations (docs/mount.md, "Small files"), through the real mount
// and real processes: a burst of new files in one directory makes the mount take its delegation
// and answer creates and closes from memory. Close-to-open must hold all the same: another
// client's look into the directory (gfs ls/cat, a second mount) recalls it and sees every file
// closed before; fsync of the directory, SIGTERM, a master restart lose nothing; and the calls a
// program makes on files still pending give what a local disk gives.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { shOk, stopAllMounts, TestMount } from '../harness/mount.js';
import { parsePrometheusText, sampleValue } from '../harness/prometheus.js';

let cluster: TestCluster;
let scratch: string;
const mounts: TestMount[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start();
  scratch = await mkdtemp(join(tmpdir(), 'gfs-write-back-'));
});

afterEach(async () => {
  for (const mount of mounts.splice(0)) await mount.stop();
});

afterAll(async () => {
  await stopAllMounts();
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function mount(args: readonly string[] = []): Promise<TestMount> {
  const started = await TestMount.start(cluster, { args });
  mounts.push(started);
  return started;
}

/** The master's count of delegations recalled, and of those live now. */
async function delegationMetrics(): Promise<{ recalls: number; live: number }> {
  const text = await (await fetch(`${cluster.masterUrl}/metrics`)).text();
  const families = parsePrometheusText(text);
  return {
    recalls: sampleValue(families, 'gfs_master_delegation_recalls_total') ?? 0,
    live: sampleValue(families, 'gfs_master_delegations') ?? 0,
  };
}

/** `count` files `f0…` in `dir`, each holding its own name and number, from one bash process. */
function makeFiles(dir: string, count: number): Promise<string> {
  return shOk(`mkdir -p "${dir}" && for ((k=0; k<${count}; k++)); do printf 'file %s\\n' "$k" > "${dir}/f$k"; done`);
}

async function gfsLines(args: string[]): Promise<string[]> {
  const result = await cluster.gfs(args);
  expect(result.code, result.stderr.toString()).toBe(0);
  return result.stdout
    .toString()
    .split('\n')
    .filter((line) => line !== '');
}

describe('write-back in a delegated directory', () => {
  it('files closed on one mount are all seen at once by gfs ls/cat and by another mount, by recalling the directory', async () => {
    const a = await mount();
    const b = await mount();
    const before = await delegationMetrics();
    await makeFiles(`${a.dir}/burst`, 300);
    // The mount took the directory: a burst of creates asks for it.
    expect((await delegationMetrics()).live).toBe(1);

    // Another client's first look recalls it, and sees every file closed before.
    const names = await gfsLines(['ls', 'gfs:/burst']);
    expect(names).toHaveLength(300);
    expect((await delegationMetrics()).recalls).toBeGreaterThan(before.recalls);
    expect((await cluster.gfs(['cat', 'gfs:/burst/f299'])).stdout.toString()).toBe('file 299\n');
    const sizes = await gfsLines(['ls', '-l', 'gfs:/burst']);
    for (const line of sizes) expect(line.split(' ')[2]).toMatch(/^[789]$/);

    // The second mount again, on a fresh burst: every file, every byte.
    await makeFiles(`${a.dir}/burst2`, 200);
    const listed = await shOk(`ls "${b.dir}/burst2" | wc -l`);
    expect(Number(listed.trim())).toBe(200);
    const all = await shOk(`cat $(for ((k=0; k<200; k++)); do echo "${b.dir}/burst2/f$k"; done)`);
    expect(all).toBe(Array.from({ length: 200 }, (_, k) => `file ${k}\n`).join(''));
  });

  it('a name another client creates in a delegated directory is found by the holder (no stale "missing")', async () => {
    const a = await mount();
    await makeFiles(`${a.dir}/shared-dir`, 20);
    expect((await delegationMetrics()).live).toBeGreaterThanOrEqual(1);
    await writeFile(join(scratch, 'other.txt'), 'from the CLI\n');
    const cp = await cluster.gfs(['cp', join(scratch, 'other.txt'), 'gfs:/shared-dir/other.txt']);
    expect(cp.code, cp.stderr.toString()).toBe(0);
    expect(await shOk(`cat "${a.dir}/shared-dir/other.txt"`)).toBe('from the CLI\n');
    expect(await shOk(`cat "${a.dir}/shared-dir/f19"`)).toBe('file 19\n');
  });

  it('fsync of the directory sends everything: a mount SIGKILLed after it loses nothing', async () => {
    const a = await mount();
    await makeFiles(`${a.dir}/synced`, 150);
    await shOk(`sync "${a.dir}/synced"`);
    a.signal('SIGKILL');
    await a.exited;
    const names = await gfsLines(['ls', 'gfs:/synced']);
    expect(names).toHaveLength(150);
    expect((await cluster.gfs(['cat', 'gfs:/synced/f149'])).stdout.toString()).toBe('file 149\n');
  });

  it('SIGTERM sends what is pending before the mount goes', async () => {
    const a = await mount();
    await makeFiles(`${a.dir}/at-exit`, 250);
    expect(await a.stop()).toBe(0);
    const names = await gfsLines(['ls', 'gfs:/at-exit']);
    expect(names).toHaveLength(250);
    expect((await cluster.gfs(['cat', 'gfs:/at-exit/f0'])).stdout.toString()).toBe('file 0\n');
  });

  it('unlink, rename, truncate, chmod, touch -d, append and a large file in a delegated directory give what a local disk gives', async () => {
    const a = await mount();
    const b = await mount();
    const big = seededBytes(3 * 1024 * 1024 + 11, 41);
    await writeFile(join(scratch, 'big.bin'), big);
    const script = (dir: string) => `
      mkdir -p "${dir}" && cd "${dir}"
      for ((k=0; k<12; k++)); do printf 'file %s\\n' "$k" > "f$k"; done
      rm f1
      mv f2 f2-moved
      truncate -s 3 f3
      truncate -s 9000 f4
      chmod 600 f5
      touch -d '2020-01-02 03:04:05' f6
      echo more >> f7
      printf 'AB' | dd of=f8 bs=1 seek=2 conv=notrunc status=none
      cp "${scratch}/big.bin" big.bin
      head -c 100 big.bin > head.bin
      cat f9 f10 > joined`;
    const local = join(scratch, 'reference');
    await shOk(script(local));
    await shOk(script(`${a.dir}/ops`));
    // The holder reads its own pending files; the other mount recalls and reads the cluster's.
    for (const view of [`${a.dir}/ops`, `${b.dir}/ops`]) {
      await shOk(`diff -r "${local}" "${view}"`);
      const modes = await shOk(`cd "${view}" && stat -c '%n %a %s %Y' f5 f6 f3 f4 | sort`);
      const expected = await shOk(`cd "${local}" && stat -c '%n %a %s' f5 f3 f4 | sort`);
      expect(
        modes
          .split('\n')
          .filter((line) => line.startsWith('f6'))[0]
          ?.split(' ')[3],
      ).toBe(String(Date.parse('2020-01-02T03:04:05') / 1000));
      for (const line of expected.trim().split('\n')) expect(modes).toContain(line);
    }
    expect(sha256(await readFile(join(b.dir, 'ops', 'big.bin')))).toBe(sha256(big));
    expect((await gfsLines(['ls', 'gfs:/ops'])).sort()).toEqual(
      (await shOk(`ls "${local}"`)).trim().split('\n').sort(),
    );
  });

  it('rm -rf while the files are being sent: every one is gone, and none comes back', async () => {
    const a = await mount();
    await makeFiles(`${a.dir}/short-lived`, 300);
    // Sending has begun (the mount is quiet): some files are sent, some in flight, some pending.
    await new Promise((resolve) => setTimeout(resolve, 400));
    await shOk(`rm -rf "${a.dir}/short-lived"`);
    expect(await shOk(`ls "${a.dir}"`)).not.toContain('short-lived');
    await shOk(`mkdir "${a.dir}/short-lived" && sync "${a.dir}/short-lived"`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await gfsLines(['ls', 'gfs:/short-lived'])).toEqual([]);
  });

  it('a master restart while files are pending: they reach the cluster, and other clients still wait for them', async () => {
    const a = await mount();
    await makeFiles(`${a.dir}/restart`, 100);
    await cluster.restart(cluster.master);
    // The delegation outlived the restart (it is logged): this look recalls it and sees all.
    const names = await gfsLines(['ls', 'gfs:/restart']);
    expect(names).toHaveLength(100);
    expect((await cluster.gfs(['cat', 'gfs:/restart/f99'])).stdout.toString()).toBe('file 99\n');
  });

  it('--no-write-back takes no delegation: every close waits for the cluster', async () => {
    const a = await mount(['--no-write-back']);
    const before = await delegationMetrics();
    await makeFiles(`${a.dir}/sync-close`, 30);
    expect((await delegationMetrics()).live).toBeLessThanOrEqual(before.live);
    expect(await gfsLines(['ls', 'gfs:/sync-close'])).toHaveLength(30);
    expect((await delegationMetrics()).recalls).toBe(before.recalls);
  });
});
