// The bench's FUSE floor (bench/fuse-floor.ts) is the baseline the mount's small-file rate is
// read against, so it must be a file system that does what the bench's loop does, through the
// kernel: a floor that answered without storing would make gfs look slower than it is.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountFuseFloor } from '../../bench/fuse-floor.js';
import type { Mounted } from '../../client/mount/fuse-binding.js';
import { forceUnmount, isMounted, sh, shOk } from '../harness/mount.js';

let root: string;
let mountpoint: string;
let floor: Mounted | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gfs-floor-'));
  mountpoint = join(root, 'mnt');
  await shOk(`mkdir "${mountpoint}"`);
  floor = await mountFuseFloor(mountpoint);
});

afterAll(async () => {
  await floor?.unmount().catch(() => undefined);
  if (await isMounted(mountpoint)) await forceUnmount(mountpoint);
  await rm(root, { recursive: true, force: true });
});

/**
 * Runs `script` inside the floor. The shell changes directory itself: a child spawned with its
 * cwd in the floor would deadlock, since this process serves the floor and Node's spawn blocks
 * until the child has changed directory and exec'd.
 */
function inFloor(script: string): Promise<string> {
  return shOk(`cd "${mountpoint}" && ${script}`);
}

describe('the FUSE floor the bench compares the mount with', () => {
  it('is mounted with its own type, not taken for a gfs mount', async () => {
    expect(await shOk(`findmnt -n -o FSTYPE "${mountpoint}"`)).toBe('fuse.fuse-floor\n');
  });

  it("keeps what the bench's loop writes: names, sizes and bytes", async () => {
    await inFloor(
      `mkdir d && blk=$(head -c 4096 /dev/zero | tr '\\0' x); for ((k=0; k<50; k++)); do printf '%s' "$blk$k" > "d/f$k"; done`,
    );
    expect((await inFloor('ls d | wc -l')).trim()).toBe('50');
    expect((await inFloor('stat -c %s d/f7 d/f42')).split('\n')).toEqual(['4097', '4098', '']);
    expect(await inFloor('tail -c 6 d/f42')).toBe('xxxx42');
  });

  it('appends, truncates, renames and removes like a file system', async () => {
    await inFloor('echo one > g && echo two >> g && truncate -s 6 g && mv g h');
    expect(await inFloor('cat h')).toBe('one\ntw');
    expect((await sh(`cd "${mountpoint}" && cat g`)).code).not.toBe(0);
    expect((await sh(`cd "${mountpoint}" && rmdir d`)).code).not.toBe(0);
    await inFloor('rm d/* h && rmdir d');
    expect(await inFloor('ls -A')).toBe('');
  });
});
