// Getting a mount point ready: it must be an existing, empty directory that nothing is mounted
// on. A FUSE mount whose process died ("Transport endpoint is not connected") is stale: it is
// detached (fusermount -uz, else umount -l) and the mount goes ahead; a live mount is an error
// that says how to unmount it.

import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { GfsError } from '../../shared/errors.js';

const run = promisify(execFile);
const MOUNTINFO = '/proc/self/mountinfo';
/** The C glue copies the mount point into 1024 bytes. */
const MOUNT_POINT_BYTES_MAX = 1000;

export interface MountInfo {
  /** The kernel's `major:minor` of the mount (its backing device info is /sys/class/bdi/<device>). */
  device: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Parses /proc/self/mountinfo (proc(5)): field 3 is major:minor, 5 the mount point; after ` - `, type and source. */
export function parseMountInfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [head, tail] = line.split(' - ');
    if (head === undefined || tail === undefined) continue;
    const fields = head.split(' ');
    const device = fields[2];
    const mountPoint = fields[4];
    const [fsType, source] = tail.split(' ');
    if (device === undefined || mountPoint === undefined || fsType === undefined) continue;
    mounts.push({ device, mountPoint: unescapeOctal(mountPoint), fsType, source: unescapeOctal(source ?? '') });
  }
  return mounts;
}

/** Spaces, tabs, newlines and backslashes appear as `\040`-style octal escapes. */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export async function mountsAt(path: string): Promise<MountInfo[]> {
  return parseMountInfo(await readFile(MOUNTINFO, 'utf8')).filter((mount) => mount.mountPoint === path);
}

/** Returns a message when a stale mount was cleared, so the caller can say so. */
export async function prepareMountPoint(path: string): Promise<string | undefined> {
  if (Buffer.byteLength(path) > MOUNT_POINT_BYTES_MAX) {
    throw new GfsError('INVALID_PATH', `mount point longer than ${MOUNT_POINT_BYTES_MAX} bytes`, path);
  }
  let cleared: string | undefined;
  const mounted = (await mountsAt(path)).at(-1);
  if (mounted !== undefined) {
    const error = await stat(path).then(
      () => undefined,
      (failure: NodeJS.ErrnoException) => failure,
    );
    if (error?.code !== 'ENOTCONN') {
      throw new GfsError('ALREADY_EXISTS', `already mounted (${mounted.fsType}; unmount it with fusermount -u)`, path);
    }
    await detach(path);
    cleared = `cleared a stale mount (${mounted.fsType}, its process had died)`;
  }
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new GfsError('NOT_FOUND', 'mount point does not exist', path);
    throw new GfsError('INVALID_ARGUMENT', `mount point is not usable (${error.code})`, path);
  });
  if (!info.isDirectory()) throw new GfsError('NOT_A_DIRECTORY', 'mount point is not a directory', path);
  if ((await readdir(path)).length > 0) throw new GfsError('NOT_EMPTY', 'mount point is not empty', path);
  return cleared;
}

/** Lazy unmount of a dead mount: fusermount for FUSE, umount -l as the last resort. */
async function detach(path: string): Promise<void> {
  for (const [command, args] of [
    ['fusermount', ['-uz', path]],
    ['umount', ['-l', path]],
  ] as const) {
    await run(command, [...args]).catch(() => undefined);
    if ((await mountsAt(path)).length === 0) return;
  }
  throw new GfsError(
    'UNAVAILABLE',
    'a stale mount is in the way and could not be cleared (try: fusermount -uz, or umount -l as root)',
    path,
  );
}
