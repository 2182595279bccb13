// The floor of any FUSE file system on this machine: an in-memory one on the binding and mount
// options `gfs mount` uses, answering every call at once. The mount's small-file loop runs on it
// beside the real mount, so the bench tells the cost of FUSE, the kernel and bash (which no design
// of gfs can remove) from the cost of gfs (which a design can). It keeps only what the bench's
// tools need: files, directories, their sizes, modes and times. It is served by the process that
// mounts it: a child that process spawns must not start with its cwd inside (Node's spawn waits
// for the child's exec, the child's chdir waits for this process: a deadlock).

import { constants as fsConstants } from 'node:fs';
import { constants } from 'node:os';
import { type FuseOperations, loadFuseBinding, type Mounted } from '../client/mount/fuse-binding.js';
import { MOUNT_SUBTYPE, mountOptions } from '../client/mount/mount-options.js';
import type { FuseStat, FuseStatfs } from '../client/mount/stat.js';

const E = constants.errno;
const OP_TIMEOUT_MS = 30_000;
const BLOCK_BYTES = 4096;

interface FloorNode {
  directory: boolean;
  mode: number;
  data: Buffer;
  sizeBytes: number;
  mtime: Date;
}

/** Mounts the in-memory file system at `mountpoint`; unmount it when done. */
export async function mountFuseFloor(mountpoint: string): Promise<Mounted> {
  const binding = await loadFuseBinding();
  // Its own subtype, so gfs's stale-mount check never takes it for a gfs mount.
  const options = mountOptions({ readOnly: false, source: 'fuse-floor' }).map((option) =>
    option === `subtype=${MOUNT_SUBTYPE}` ? 'subtype=fuse-floor' : option,
  );
  return binding.mount(mountpoint, floorOperations(), options, OP_TIMEOUT_MS);
}

export function floorOperations(): FuseOperations {
  const nodes = new Map<string, FloorNode>([['/', newNode(true, 0o755)]]);
  const parentOf = (path: string) => path.slice(0, Math.max(1, path.lastIndexOf('/')));
  const childrenOf = (path: string) => {
    const prefix = path === '/' ? '/' : `${path}/`;
    return [...nodes.keys()].filter(
      (key) => key !== path && key.startsWith(prefix) && !key.includes('/', prefix.length),
    );
  };
  /** The node at `path`, or the negative errno to answer. */
  const lookup = (path: string): FloorNode | number => nodes.get(path) ?? -E.ENOENT;
  const add = (path: string, node: FloorNode): number => {
    if (nodes.has(path)) return -E.EEXIST;
    if (nodes.get(parentOf(path))?.directory !== true) return -E.ENOENT;
    nodes.set(path, node);
    return 0;
  };
  const resize = (path: string, sizeBytes: number): number => {
    const node = lookup(path);
    if (typeof node === 'number') return node;
    if (node.directory) return -E.EISDIR;
    if (sizeBytes > node.data.length) {
      const grown = Buffer.alloc(Math.max(sizeBytes, node.data.length * 2));
      node.data.copy(grown, 0, 0, node.sizeBytes);
      node.data = grown;
    } else node.data.fill(0, sizeBytes, node.sizeBytes);
    node.sizeBytes = sizeBytes;
    node.mtime = new Date();
    return 0;
  };
  const ok = (cb: (code: number) => void) => cb(0);

  return {
    getattr: (path, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') cb(node);
      else cb(0, statOf(node));
    },
    readdir: (path, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') return cb(node);
      if (!node.directory) return cb(-E.ENOTDIR);
      cb(
        0,
        childrenOf(path).map((key) => key.slice(key.lastIndexOf('/') + 1)),
      );
    },
    statfs: (_path, cb) => cb(0, FLOOR_STATFS),
    access: (path, _mode, cb) => cb(nodes.has(path) ? 0 : -E.ENOENT),
    mkdir: (path, mode, cb) => cb(add(path, newNode(true, mode))),
    rmdir: (path, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') return cb(node);
      if (!node.directory) return cb(-E.ENOTDIR);
      if (childrenOf(path).length > 0) return cb(-E.ENOTEMPTY);
      nodes.delete(path);
      cb(0);
    },
    mknod: (path, mode, _dev, cb) => cb(add(path, newNode(false, mode))),
    unlink: (path, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') return cb(node);
      if (node.directory) return cb(-E.EISDIR);
      nodes.delete(path);
      cb(0);
    },
    rename: (from, to, cb) => {
      const node = lookup(from);
      if (typeof node === 'number') return cb(node);
      if (node.directory) return cb(-E.EPERM); // the bench renames files only
      nodes.delete(from);
      nodes.set(to, node);
      cb(0);
    },
    truncate: (path, size, cb) => cb(resize(path, size)),
    ftruncate: (path, _fd, size, cb) => cb(resize(path, size)),
    chmod: (path, mode, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') return cb(node);
      node.mode = mode & 0o7777;
      cb(0);
    },
    chown: (_path, _uid, _gid, cb) => ok(cb),
    utimens: (path, _atime, mtime, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') return cb(node);
      node.mtime = new Date(mtime);
      cb(0);
    },
    open: (path, _flags, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') cb(node);
      else cb(0, 1);
    },
    read: (path, _fd, buffer, length, position, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') return cb(node);
      const end = Math.min(position + length, node.sizeBytes);
      cb(end > position ? node.data.copy(buffer, 0, position, end) : 0);
    },
    write: (path, _fd, buffer, length, position, cb) => {
      const node = lookup(path);
      if (typeof node === 'number') return cb(node);
      const end = position + length;
      if (end > node.sizeBytes) resize(path, end);
      buffer.copy(node.data, position, 0, length);
      node.mtime = new Date();
      cb(length);
    },
    flush: (_path, _fd, cb) => ok(cb),
    fsync: (_path, _datasync, _fd, cb) => ok(cb),
    fsyncdir: (_path, _datasync, _fd, cb) => ok(cb),
    release: (_path, _fd, cb) => ok(cb),
    link: (_from, _to, cb) => cb(-E.EPERM),
    symlink: (_from, _to, cb) => cb(-E.EPERM),
    readlink: (_path, cb) => cb(-E.EINVAL),
  };
}

function newNode(directory: boolean, mode: number): FloorNode {
  return { directory, mode: mode & 0o7777, data: Buffer.alloc(0), sizeBytes: 0, mtime: new Date() };
}

function statOf(node: FloorNode): FuseStat {
  const size = node.directory ? BLOCK_BYTES : node.sizeBytes;
  return {
    mode: (node.directory ? fsConstants.S_IFDIR : fsConstants.S_IFREG) | node.mode,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    size,
    dev: 0,
    nlink: 1,
    ino: 0,
    rdev: 0,
    blksize: BLOCK_BYTES,
    blocks: Math.ceil(size / 512),
    atime: node.mtime,
    mtime: node.mtime,
    ctime: node.mtime,
  };
}

const FLOOR_STATFS: FuseStatfs = {
  bsize: BLOCK_BYTES,
  frsize: BLOCK_BYTES,
  blocks: 1 << 20,
  bfree: 1 << 20,
  bavail: 1 << 20,
  files: 1 << 20,
  ffree: 1 << 20,
  favail: 1 << 20,
  fsid: 0,
  flag: 0,
  namemax: 255,
};
