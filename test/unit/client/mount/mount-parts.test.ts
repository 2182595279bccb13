import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AttrCache } from '../../../../client/mount/attr-cache.js';
import { BlockCache } from '../../../../client/mount/block-cache.js';
import { ByteBudget } from '../../../../client/mount/byte-budget.js';
import { ERRNO_OF_CODE, errnoError, errnoOf } from '../../../../client/mount/errno.js';
import { checkFuseAvailable, FUSE_INSTALL_HINT } from '../../../../client/mount/fuse-binding.js';
import { mountOptions } from '../../../../client/mount/mount-options.js';
import { parseMountInfo } from '../../../../client/mount/mount-point.js';
import { fuseStat, fuseStatfs } from '../../../../client/mount/stat.js';
import { BufferPool } from '../../../../shared/buffer-pool.js';
import { ERROR_CODES, GfsError } from '../../../../shared/errors.js';
import type { Entry } from '../../../../shared/protocol/namespace.js';

const E = constants.errno;

const file: Entry = {
  name: 'f',
  path: '/d/f',
  type: 'file',
  size: 1000,
  chunks: 1,
  replication: 3,
  mtime: '2021-01-01T00:00:00.000Z',
  mtimeMs: Date.UTC(2021, 0, 1),
  mode: 0o640,
  owner: 'root',
  group: 'root',
};

describe('errno table', () => {
  it('maps every gfs code, the namespace ones to their POSIX errno and cluster failures to EIO', () => {
    expect(Object.keys(ERRNO_OF_CODE).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    const errno = (code: keyof typeof ERROR_CODES) => errnoOf(new GfsError(code, 'x'));
    expect(errno('NOT_FOUND')).toBe(E.ENOENT);
    expect(errno('ALREADY_EXISTS')).toBe(E.EEXIST);
    expect(errno('NOT_A_DIRECTORY')).toBe(E.ENOTDIR);
    expect(errno('IS_A_DIRECTORY')).toBe(E.EISDIR);
    expect(errno('NOT_EMPTY')).toBe(E.ENOTEMPTY);
    expect(errno('INVALID_ARGUMENT')).toBe(E.EINVAL);
    expect(errno('OUT_OF_SPACE')).toBe(E.ENOSPC);
    expect(errno('UNAVAILABLE')).toBe(E.EIO);
    expect(errno('CHECKSUM_MISMATCH')).toBe(E.EIO);
  });

  it('keeps the mount’s own errnos, takes a Node error’s code, and calls anything else EIO', () => {
    expect(errnoOf(errnoError('EROFS', 'read-only'))).toBe(E.EROFS);
    expect(errnoOf(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(E.ENOSPC);
    expect(errnoOf(new TypeError('bug'))).toBe(E.EIO);
    expect(errnoOf(undefined)).toBe(E.EIO);
  });
});

describe('stat views', () => {
  it('shows a file with its mode, size, 512-byte blocks, mtime and the mounting user', () => {
    const stat = fuseStat(file, { uid: 7, gid: 8 });
    expect(stat).toMatchObject({ mode: 0o100640, size: 1000, blocks: 2, uid: 7, gid: 8, nlink: 1 });
    expect(stat.mtime.getTime()).toBe(file.mtimeMs);
    expect(fuseStat({ ...file, type: 'dir', mode: 0o755 }, { uid: 0, gid: 0 }).mode).toBe(0o40755);
  });

  it('statfs: size, used and available add up in file bytes', () => {
    // 3 replicas: 300 raw capacity, 30 raw used, 90 file bytes still fit.
    const MiB = 1024 * 1024;
    const stats = fuseStatfs({ capacityBytes: 300 * MiB, usedBytes: 30 * MiB, freeBytes: 90 * MiB, files: 5 });
    expect(stats.frsize).toBe(64 * 1024);
    expect(stats.blocks * stats.frsize).toBe(100 * MiB);
    expect(stats.bavail * stats.frsize).toBe(90 * MiB);
    expect(stats.ffree).toBe(0xffffffff - 5);
    expect(fuseStatfs({ capacityBytes: 0, usedBytes: 0, freeBytes: 0, files: 0 }).blocks).toBe(0);
  });
});

describe('mount options', () => {
  it('asks for big writes, 128 KiB requests, auto_cache checked at every open and a watchdog', () => {
    const options = mountOptions({ readOnly: false, source: 'gfs:127.0.0.1:7070' });
    for (const option of [
      'big_writes',
      'max_write=131072',
      'max_read=131072',
      'auto_cache',
      'ac_attr_timeout=0',
      'attr_timeout=0',
      'entry_timeout=1',
      'negative_timeout=0',
      'auto_unmount',
      'subtype=gfs',
      'fsname=gfs:127.0.0.1:7070',
    ]) {
      expect(options).toContain(option);
    }
    expect(options).not.toContain('ro');
    expect(mountOptions({ readOnly: true, source: 'a,b\\c' })).toEqual(expect.arrayContaining(['ro', 'fsname=a_b_c']));
  });
});

describe('mountinfo', () => {
  it('finds devices, mount points (with escaped spaces), types and sources', () => {
    const text = [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '42 22 0:39 / /tmp/with\\040space rw,nosuid,nodev,relatime shared:5 - fuse.gfs gfs:127.0.0.1:7070 rw,user_id=0',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { device: '8:1', mountPoint: '/', fsType: 'ext4', source: '/dev/sda1' },
      { device: '0:39', mountPoint: '/tmp/with space', fsType: 'fuse.gfs', source: 'gfs:127.0.0.1:7070' },
    ]);
  });
});

describe('FUSE availability', () => {
  it('names the packages to install when /dev/fuse or fusermount is missing', () => {
    expect(() => checkFuseAvailable('/nonexistent/fuse', '/usr/bin:/bin')).toThrow(
      `FUSE is not available: /nonexistent/fuse is missing (${FUSE_INSTALL_HINT}; in a container, pass the device in)`,
    );
    expect(() => checkFuseAvailable('/dev/null', '/nonexistent')).toThrow(
      `FUSE is not available: fusermount is missing (${FUSE_INSTALL_HINT})`,
    );
    expect(FUSE_INSTALL_HINT).toBe('apt-get install fuse libfuse-dev pkg-config, then npm rebuild @cocalc/fuse-native');
  });
});

describe('AttrCache', () => {
  it('answers for its TTL, forgets trees, and drops the oldest beyond its bound', () => {
    let now = 0;
    const cache = new AttrCache(1000, 3, () => now);
    cache.set('/a', file);
    cache.set('/a/b', file);
    cache.set('/ab', file);
    expect(cache.get('/a')).toBe(file);
    cache.deleteTree('/a');
    expect([cache.get('/a'), cache.get('/a/b'), cache.get('/ab')]).toEqual([undefined, undefined, file]);
    cache.set('/1', file);
    cache.set('/2', file);
    cache.set('/3', file);
    expect(cache.size).toBe(3);
    expect(cache.get('/ab')).toBeUndefined();
    now = 1001;
    expect(cache.get('/3')).toBeUndefined();
  });
});

describe('ByteBudget', () => {
  it('lets waiters in, first come first served, as bytes come back', async () => {
    const budget = new ByteBudget(100);
    expect(budget.tryAcquire(80)).toBe(true);
    const order: string[] = [];
    const first = budget.acquire(50).then(() => order.push('first'));
    const second = budget.acquire(10).then(() => order.push('second'));
    // A waiter queued earlier is not overtaken, even by a request that would fit.
    expect(budget.tryAcquire(10)).toBe(false);
    budget.release(80);
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(budget.used).toBe(60);
    // A request larger than the whole budget still passes once nothing else is held.
    budget.release(60);
    expect(budget.tryAcquire(500)).toBe(true);
  });

  it('recycles a block buffer only once it is dropped, landed and no reader is copying from it', async () => {
    const budget = new ByteBudget(1024 * 1024);
    const pool = new BufferPool();
    const landing: (() => void)[] = [];
    const given: Buffer[] = [];
    const cache = new BlockCache(
      512 * 1024,
      1,
      (into) =>
        new Promise<number>((resolve) =>
          landing.push(() => {
            into.fill(given.length + 1);
            given.push(into);
            resolve(into.byteLength);
          }),
        ),
      budget,
      pool,
    );
    expect(cache.start(0, 4 * 1024 * 1024)).toBe(true);
    const reader = cache.pin(0);
    landing.shift()?.();
    const first = await reader?.data;
    // Block 1 pushes block 0 out of the cache while a reader still holds it: its bytes stay.
    expect(cache.start(1, 4 * 1024 * 1024)).toBe(true);
    expect(cache.has(0)).toBe(false);
    expect(budget.used).toBe(1024 * 1024);
    expect(first?.[0]).toBe(1);
    reader?.release();
    reader?.release();
    expect(budget.used).toBe(512 * 1024);
    // The released buffer is the one the next block lands in; block 1, dropped while still
    // arriving, holds its bytes until it lands.
    expect(cache.start(2, 4 * 1024 * 1024)).toBe(true);
    expect(budget.used).toBe(1024 * 1024);
    for (const land of landing.splice(0)) land();
    await new Promise((resolve) => setImmediate(resolve));
    expect(given[2]?.buffer).toBe(given[0]?.buffer);
    expect(budget.used).toBe(512 * 1024);
  });

  it('takes memory back from read caches for writers, never for other caches', async () => {
    const budget = new ByteBudget(400);
    const landing: (() => void)[] = [];
    const pool = new BufferPool();
    const cache = new BlockCache(100, 10, async (into) => into.fill(0).byteLength, budget, pool);
    const slow = new BlockCache(
      100,
      10,
      (into) => new Promise<number>((resolve) => landing.push(() => resolve(into.byteLength))),
      budget,
      pool,
    );
    for (let index = 0; index < 3; index++) expect(cache.start(index, 1000)).toBe(true);
    const pinned = cache.pin(2);
    await pinned?.data;
    pinned?.release();
    expect(slow.start(0, 1000)).toBe(true);
    expect(budget.used).toBe(400);
    // A cache only takes what is free.
    expect(slow.start(1, 1000)).toBe(false);
    // A writer takes back the least recently used cached block first (0, then 1; 2 was just read).
    expect(budget.tryAcquire(150, true)).toBe(true);
    expect([0, 1, 2].map((index) => cache.has(index))).toEqual([false, false, true]);
    expect(budget.used).toBe(350);
    // Blocks still arriving are dropped too and give their bytes back when they land.
    let acquired = false;
    const waiting = budget.acquire(250).then(() => {
      acquired = true;
    });
    expect(cache.has(2) || slow.has(0)).toBe(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(acquired).toBe(false);
    for (const land of landing) land();
    await waiting;
    expect(budget.used).toBe(400);
  });
});
