// `gfs mount` driven with ordinary tools, as a user would: cp/cmp/ls/mv/rm/rmdir/dd/truncate and
// shell redirections on a real FUSE mount of a real cluster (1 MiB chunks, so files span chunks).
// Where a tool's result is not obvious, the same script runs on a local directory and the two
// trees must end up byte for byte equal.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { sh, shOk, stopAllMounts, TestMount } from '../harness/mount.js';

let cluster: TestCluster;
let mount: TestMount;
let scratch: string;

beforeAll(async () => {
  cluster = await TestCluster.start();
  mount = await TestMount.start(cluster);
  scratch = await mkdtemp(join(tmpdir(), 'gfs-mount-scratch-'));
});

afterAll(async () => {
  await stopAllMounts();
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('gfs mount with ordinary tools', () => {
  it('cp a 20 MiB random file in and out: cmp equal, equal to gfs cat, ls -l shows its size', async () => {
    const data = seededBytes(20 * 1024 * 1024, 4);
    const source = join(scratch, 'random.bin');
    await writeFile(source, data);
    await shOk(`cp "${source}" "${mount.dir}/random.bin" && cp "${mount.dir}/random.bin" "${scratch}/back.bin"`);
    await shOk(`cmp "${source}" "${scratch}/back.bin"`);

    const cat = await cluster.gfs(['cat', 'gfs:/random.bin']);
    expect(cat.code).toBe(0);
    expect(sha256(cat.stdout)).toBe(sha256(data));

    // The kernel reads ahead 1 MiB on this mount (several FUSE reads in flight), not its 128 KiB.
    const device = (await shOk(`mountpoint -d "${mount.dir}"`)).trim();
    expect((await readFile(`/sys/class/bdi/${device}/read_ahead_kb`, 'utf8')).trim()).toBe('1024');

    const listing = await shOk(`ls -l "${mount.dir}"`);
    expect(listing).toMatch(/^-rw-r--r-- +1 +\S+ +\S+ +20971520 .* random\.bin$/m);
    expect((await shOk(`stat -c %s "${mount.dir}/random.bin"`)).trim()).toBe('20971520');
  });

  it('mkdir, mv (a file and a directory), rm, rmdir; errors come back as the right errno', async () => {
    const m = mount.dir;
    await shOk(
      `mkdir "${m}/d" && echo one > "${m}/d/f" && mv "${m}/d/f" "${m}/d/g" && mkdir "${m}/e" && mv "${m}/d" "${m}/e/"`,
    );
    expect((await shOk(`cat "${m}/e/d/g"`)).trim()).toBe('one');
    expect((await shOk(`ls -R "${m}/e"`)).split(/\s+/).filter(Boolean)).toEqual([`${m}/e:`, 'd', `${m}/e/d:`, 'g']);

    // mv over an existing file replaces it atomically.
    await shOk(`echo two > "${m}/e/d/h" && mv "${m}/e/d/h" "${m}/e/d/g"`);
    expect((await shOk(`cat "${m}/e/d/g"; ls "${m}/e/d"`)).split('\n')).toEqual(['two', 'g', '']);

    const notEmpty = await sh(`rmdir "${m}/e/d"`);
    expect(notEmpty.code).not.toBe(0);
    expect(notEmpty.stderr).toContain('Directory not empty');
    const missing = await sh(`cat "${m}/e/nothing"`);
    expect(missing.stderr).toContain('No such file or directory');
    const exists = await sh(`mkdir "${m}/e"`);
    expect(exists.stderr).toContain('File exists');
    const notDir = await sh(`ls "${m}/e/d/g/x"`);
    expect(notDir.stderr).toContain('Not a directory');

    await shOk(`rm "${m}/e/d/g" && rmdir "${m}/e/d" && rmdir "${m}/e"`);
    expect(await sh(`test -e "${m}/e"`)).toMatchObject({ code: 1 });
    expect((await cluster.gfs(['stat', 'gfs:/e'])).code).toBe(1);
  });

  it('echo > f, >> f, : > f, dd at offsets and truncate -s give what a local disk gives', async () => {
    const script = `
      set -e
      echo first > f
      echo second >> f
      echo third >> f
      cp f g
      : > f
      printf 'abcdefghij' > h
      dd if=/dev/zero of=h bs=1 seek=3 count=2 conv=notrunc status=none
      dd if=/dev/urandom of=big bs=64k count=40 status=none
      dd if=/dev/zero of=big bs=4k seek=100 count=3 conv=notrunc status=none
      printf 'tail' | dd of=big bs=1 seek=3000000 conv=notrunc status=none
      truncate -s 1000000 big
      truncate -s 1500000 big
      cp big big2
      truncate -s 5 h
      truncate -s 9 h
      truncate -s 0 g
      echo again >> g
      ls -l --time-style=+ | tail -n +2 | awk '{print $1, $5, $6}'
    `;
    // The same random bytes on both sides: the dd from /dev/urandom is replaced by a fixed file.
    const fixed = join(scratch, 'urandom.bin');
    await writeFile(fixed, seededBytes(64 * 1024 * 40, 9));
    const body = script.replace('if=/dev/urandom', `if="${fixed}"`);
    const local = await mkdtemp(join(scratch, 'local-'));
    await shOk(`mkdir "${mount.dir}/same"`);
    const onDisk = await shOk(body, { cwd: local });
    const onMount = await shOk(body, { cwd: `${mount.dir}/same` });
    expect(onMount).toBe(onDisk);
    for (const name of ['f', 'g', 'h', 'big', 'big2']) {
      await shOk(`cmp "${local}/${name}" "${mount.dir}/same/${name}"`);
    }
    const cat = await cluster.gfs(['cat', 'gfs:/same/big']);
    expect(sha256(cat.stdout)).toBe(sha256(await readFile(`${local}/big`)));
  });

  it('chmod keeps the mode at the master; touch -d sets the mtime; df shows the cluster', async () => {
    const m = mount.dir;
    await shOk(`echo x > "${m}/script" && chmod 750 "${m}/script" && touch -d '2021-02-03 04:05:06 UTC' "${m}/script"`);
    expect((await shOk(`stat -c '%a %Y' "${m}/script"`)).trim()).toBe(`750 ${Date.UTC(2021, 1, 3, 4, 5, 6) / 1000}`);
    const stat = await cluster.gfs(['stat', '--json', 'gfs:/script']);
    expect(JSON.parse(stat.stdout.toString())).toMatchObject({ mode: 0o750, mtime: '2021-02-03T04:05:06.000Z' });
    // A file created under a umask gets its mode with the create itself.
    await shOk(`(umask 027; echo y > "${m}/private")`);
    expect((await shOk(`stat -c %a "${m}/private"`)).trim()).toBe('640');
    const privateStat = await cluster.gfs(['stat', '--json', 'gfs:/private']);
    expect(JSON.parse(privateStat.stdout.toString())).toMatchObject({ mode: 0o640, size: 2 });
    // The modification time is the one asked for, not the access time the binding would pass.
    await shOk(`python3 -c "import os; os.utime('${m}/script', (1000000000, 1234567890))"`);
    expect((await shOk(`stat -c %Y "${m}/script"`)).trim()).toBe('1234567890');

    const df = await shOk(`df -P "${m}" | tail -1`);
    const [source, sizeKiB, , availableKiB] = df.trim().split(/\s+/);
    expect(source).toBe(`gfs:127.0.0.1:${cluster.master.port}`);
    expect(Number(sizeKiB)).toBeGreaterThan(0);
    expect(Number(availableKiB)).toBeGreaterThan(0);
  });

  it('answers hard links, symlinks, xattrs and special files with EPERM/ENOTSUP', async () => {
    const m = mount.dir;
    await shOk(`echo x > "${m}/target"`);
    expect((await sh(`ln "${m}/target" "${m}/hard"`)).stderr).toContain('Operation not permitted');
    expect((await sh(`ln -s target "${m}/soft"`)).stderr).toContain('Operation not permitted');
    expect((await sh(`mkfifo "${m}/fifo"`)).stderr).toContain('Operation not permitted');
    // Every extended-attribute call, before and after a write (which asks for security.capability).
    for (const call of [
      `os.setxattr('${m}/target', 'user.k', b'v')`,
      `os.getxattr('${m}/target', 'user.k')`,
      `os.listxattr('${m}/target')`,
      `os.removexattr('${m}/target', 'user.k')`,
    ]) {
      for (const round of [1, 2]) {
        const xattr = await sh(`python3 -c "import os; ${call}"`);
        expect(xattr.stderr, `${call} (${round})`).toContain('Operation not supported');
        await shOk(`echo more >> "${m}/target"`);
      }
    }
    expect(await shOk(`cat "${m}/target"`)).toBe(`x\n${'more\n'.repeat(8)}`);
    expect((await shOk(`ls "${m}"`)).split('\n')).not.toContain('hard');
  });

  it('a --read-only mount reads everything and refuses every change with EROFS', async () => {
    await shOk(`echo kept > "${mount.dir}/ro-file"`);
    const readOnly = await TestMount.start(cluster, { readOnly: true });
    try {
      const r = readOnly.dir;
      expect((await shOk(`cat "${r}/ro-file"`)).trim()).toBe('kept');
      for (const change of [
        `echo x > "${r}/new"`,
        `echo x >> "${r}/ro-file"`,
        `mkdir "${r}/dir"`,
        `rm "${r}/ro-file"`,
        `mv "${r}/ro-file" "${r}/moved"`,
        `truncate -s 0 "${r}/ro-file"`,
        `chmod 600 "${r}/ro-file"`,
      ]) {
        const result = await sh(change);
        expect(result.code, change).not.toBe(0);
        expect(result.stderr, change).toContain('Read-only file system');
      }
      expect((await shOk(`cat "${mount.dir}/ro-file"`)).trim()).toBe('kept');
    } finally {
      expect(await readOnly.stop()).toBe(0);
    }
  });
});
