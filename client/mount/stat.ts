// What `stat(2)` and `statfs(2)` show for gfs entries. Owners are the local ids the owner map
// (owner-map.ts) gives gfs names; permission bits are the master's; directories report one link, which tells `find`
// not to guess subdirectory counts from it (as btrfs and most FUSE file systems do).

import { constants } from 'node:fs';
import type { Entry } from '../../shared/protocol/namespace.js';
import { FUSE_REQUEST_BYTES_MAX } from './limits.js';

export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  nlink: number;
  ino: number;
  rdev: number;
  blksize: number;
  blocks: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
}

export interface FuseStatfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

export interface Owner {
  uid: number;
  gid: number;
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
/** Unit of st_blocks, whatever the file system (POSIX). */
const STAT_BLOCK_BYTES = 512;
/** statfs block unit: large, so 32-bit block counts (fuse-native's) reach 256 TiB. */
const STATFS_BLOCK_BYTES = 64 * 1024;
const U32_MAX = 0xffffffff;
const NAME_BYTES_MAX = 255;

export function fuseStat(entry: Entry, owner: Owner): FuseStat {
  const time = new Date(entry.mtimeMs);
  const isDir = entry.type === 'dir';
  return {
    mode: (isDir ? S_IFDIR : S_IFREG) | (entry.mode & 0o7777),
    uid: owner.uid,
    gid: owner.gid,
    size: isDir ? 0 : entry.size,
    dev: 0,
    nlink: 1,
    ino: 0,
    rdev: 0,
    // Programs size their I/O by st_blksize (cp reads and writes this much at a time).
    blksize: FUSE_REQUEST_BYTES_MAX,
    blocks: isDir ? 0 : Math.ceil(entry.size / STAT_BLOCK_BYTES),
    atime: time,
    mtime: time,
    ctime: time,
  };
}

/**
 * `df` in file bytes: the cluster reports raw capacity and use (every replica counts) but free
 * space as file bytes that still fit with replication. Scaling capacity by the same ratio gives a
 * size, used and available that add up, each in bytes a user can store.
 */
export function fuseStatfs(stats: {
  capacityBytes: number;
  usedBytes: number;
  freeBytes: number;
  files: number;
}): FuseStatfs {
  const blocks = (bytes: number) => Math.min(U32_MAX, Math.floor(Math.max(0, bytes) / STATFS_BLOCK_BYTES));
  const files = Math.min(U32_MAX, stats.files);
  const rawFreeBytes = stats.capacityBytes - stats.usedBytes;
  const totalBytes =
    rawFreeBytes > 0 && stats.freeBytes > 0
      ? stats.capacityBytes * (stats.freeBytes / rawFreeBytes)
      : stats.capacityBytes;
  return {
    bsize: FUSE_REQUEST_BYTES_MAX,
    frsize: STATFS_BLOCK_BYTES,
    blocks: blocks(totalBytes),
    bfree: blocks(stats.freeBytes),
    bavail: blocks(stats.freeBytes),
    // The namespace is bounded by the master's memory, not by an inode table: report plenty free.
    files: U32_MAX,
    ffree: U32_MAX - files,
    favail: U32_MAX - files,
    fsid: 0,
    flag: 0,
    namemax: NAME_BYTES_MAX,
  };
}

/** File type bits of a mode (`S_IFREG`, `S_IFDIR`, …) as mknod gives it. */
export function fileTypeOf(mode: number): number {
  return mode & 0o170000;
}

export function isRegularFileMode(mode: number): boolean {
  // mknod(2) with type 0 means a regular file.
  const type = fileTypeOf(mode);
  return type === 0 || type === S_IFREG;
}

export const W_OK = constants.W_OK;
