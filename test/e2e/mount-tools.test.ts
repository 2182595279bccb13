// Programs that lean on a file system harder than cp does, run inside `gfs mount`: fio's random
// 4 KiB writes with crc32c verification (then verified again through a second mount, which has
// none of the first one's page cache), and git init/add/commit/log/status.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { shOk, stopAllMounts, TestMount } from '../harness/mount.js';

let cluster: TestCluster;
let mount: TestMount;

beforeAll(async () => {
  cluster = await TestCluster.start();
  mount = await TestMount.start(cluster);
});

afterAll(async () => {
  await stopAllMounts();
  await cluster?.stop();
});

/**
 * The job; --randseed keeps the block order (and so a failure) reproducible, and no
 * verify-state file is left in the working directory.
 */
const FIO_JOB = '--name=mount --rw=randwrite --bs=4k --size=32m --verify=crc32c --randseed=4242 --verify_state_save=0';

describe('tools inside the mount', () => {
  it('fio --rw=randwrite --bs=4k --size=32m --verify=crc32c --do_verify=1: no verify errors', async () => {
    const file = `${mount.dir}/fio.dat`;
    const output = await shOk(
      `fio ${FIO_JOB} --do_verify=1 --filename="${file}" --output-format=terse --terse-version=3`,
      { cwd: mount.dir, timeoutMs: 900_000 },
    );
    // Terse v3: field 5 is the job's error code.
    expect(output.trim().split(';')[4]).toBe('0');

    // Again through another mount: these reads come from the cluster, not from the first
    // mount's page cache.
    const other = await TestMount.start(cluster);
    try {
      const verify = await shOk(
        `fio ${FIO_JOB} --verify_only --filename="${other.dir}/fio.dat" --output-format=terse --terse-version=3`,
        { cwd: other.dir, timeoutMs: 900_000 },
      );
      expect(verify.trim().split(';')[4]).toBe('0');
      const viaOther = (await shOk(`sha256sum "${other.dir}/fio.dat"`)).split(' ')[0];
      const cat = await cluster.gfs(['cat', 'gfs:/fio.dat']);
      expect(sha256(cat.stdout)).toBe(viaOther);
      expect(cat.stdout.byteLength).toBe(32 * 1024 * 1024);
    } finally {
      expect(await other.stop()).toBe(0);
    }
  }, 1_800_000);

  it('git init, add, commit, log and status work inside the mount', async () => {
    const repo = `${mount.dir}/repo`;
    const git = 'git -c user.name=gfs -c user.email=gfs@example.com -c init.defaultBranch=main';
    await shOk(`mkdir "${repo}"`);
    await shOk(
      `set -e
       ${git} init -q .
       printf 'hello\\n' > README
       mkdir src && seq 1 5000 > src/numbers.txt
       ${git} add README src
       ${git} commit -q -m first
       echo more >> README
       ${git} commit -q -am second
       ${git} gc -q`,
      { cwd: repo },
    );
    expect((await shOk(`${git} log --format=%s`, { cwd: repo })).split('\n')).toEqual(['second', 'first', '']);
    expect(await shOk(`${git} status --porcelain`, { cwd: repo })).toBe('');
    expect(await shOk(`${git} fsck --strict 2>&1`, { cwd: repo })).not.toMatch(/error|missing|corrupt/i);
    expect(await shOk(`${git} show HEAD:README`, { cwd: repo })).toBe('hello\nmore\n');
  });
});
