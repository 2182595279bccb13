// FUSE operations as the binding calls them, each answered from GfsMountFs: success as 0 (or a
// byte count, a descriptor, a stat), failure as the negative errno of errno.ts's table.
// Unexpected failures (EIO: the cluster gave up, or a bug) are logged with the operation and path.
//
// Not supported, answered at once (docs/mount.md): hard links and symlinks (EPERM, as POSIX says
// for a file system that has none), special files (EPERM). Extended attributes have no handler
// at all: libfuse answers ENOSYS, and the kernel then stops asking and answers EOPNOTSUPP (=
// ENOTSUP) itself. A handler answering ENOTSUP would be asked again for every write(2), which
// checks `security.capability` before it writes: one extra FUSE round trip per write.

import { constants } from 'node:os';
import type { Logger } from '../../shared/log.js';
import { errnoOf, isExpectedErrno } from './errno.js';
import type { GfsMountFs } from './filesystem.js';
import type { FuseOperations } from './fuse-binding.js';

const E = constants.errno;

export function fuseOperations(fs: GfsMountFs, log: Logger): FuseOperations {
  /** Runs `work` and answers `cb` with its result, or with the errno of its failure. */
  const answer = <T>(
    op: string,
    path: string,
    work: () => Promise<T>,
    reply: (value: T) => void,
    cb: (code: number) => void,
  ) => {
    work().then(reply, (error: unknown) => {
      const errno = errnoOf(error);
      if (!isExpectedErrno(errno)) log.warn({ err: error, op, path, errno }, `${op} failed`);
      cb(-errno);
    });
  };
  const done = (op: string, path: string, work: () => Promise<unknown>, cb: (code: number) => void) =>
    answer(op, path, work, () => cb(0), cb);
  const refuse =
    (errno: number) =>
    (...args: unknown[]) =>
      (args[args.length - 1] as (code: number) => void)(-errno);

  return {
    getattr: (path, cb) =>
      answer(
        'getattr',
        path,
        () => fs.getattr(path),
        (stat) => cb(0, stat),
        cb,
      ),
    readdir: (path, cb) =>
      answer(
        'readdir',
        path,
        () => fs.readdir(path),
        ({ names, stats }) => cb(0, names, stats),
        cb,
      ),
    statfs: (path, cb) =>
      answer(
        'statfs',
        path,
        () => fs.statfs(),
        (stats) => cb(0, stats),
        cb,
      ),
    access: (path, mode, cb) => done('access', path, () => fs.access(path, mode), cb),
    mkdir: (path, mode, cb) => done('mkdir', path, () => fs.mkdir(path, mode), cb),
    rmdir: (path, cb) => done('rmdir', path, () => fs.rmdir(path), cb),
    mknod: (path, mode, _dev, cb) => done('mknod', path, () => fs.mknod(path, mode), cb),
    unlink: (path, cb) => done('unlink', path, () => fs.unlink(path), cb),
    rename: (from, to, cb) => done('rename', from, () => fs.rename(from, to), cb),
    truncate: (path, size, cb) => done('truncate', path, () => fs.truncate(path, size), cb),
    ftruncate: (path, fd, size, cb) => done('ftruncate', path, () => fs.ftruncate(fd, size), cb),
    chmod: (path, mode, cb) => done('chmod', path, () => fs.chmod(path, mode), cb),
    chown: (path, uid, gid, cb) => done('chown', path, () => fs.chown(path, uid, gid), cb),
    // libfuse2 calls utimens only when both times are set (touch -a/-m alone change nothing).
    utimens: (path, _atime, mtime, cb) => done('utimens', path, () => fs.utimens(path, mtime), cb),
    open: (path, flags, cb) =>
      answer(
        'open',
        path,
        () => fs.open(path, flags),
        (fd) => cb(0, fd),
        cb,
      ),
    read: (path, fd, buffer, length, position, cb) =>
      answer('read', path, () => fs.read(fd, buffer, length, position), cb, cb),
    write: (path, fd, buffer, length, position, cb) =>
      answer('write', path, () => fs.write(fd, buffer, length, position), cb, cb),
    flush: (path, fd, cb) => done('flush', path, () => fs.flush(fd), cb),
    fsync: (path, _datasync, fd, cb) => done('fsync', path, () => fs.fsync(fd), cb),
    // Namespace changes are durable at the master before they are answered; what a directory's
    // fsync adds is sending the files created there and not yet sent (write-back).
    fsyncdir: (path, _datasync, _fd, cb) => done('fsyncdir', path, () => fs.fsyncdir(path), cb),
    release: (path, fd, cb) => done('release', path, () => fs.release(fd), cb),
    link: refuse(E.EPERM),
    symlink: refuse(E.EPERM),
    readlink: refuse(E.EINVAL),
  };
}
