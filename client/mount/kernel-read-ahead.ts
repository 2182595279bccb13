// The kernel's read-ahead for our mount. FUSE mounts get the kernel default (128 KiB, one FUSE
// read request), so a sequential reader waits one round trip into this process per request; a
// larger window lets the kernel keep several requests in flight. It is a setting of the mount's
// backing device info in sysfs, writable by root only: without it the mount works, just slower.

import { writeFile } from 'node:fs/promises';
import { KERNEL_READ_AHEAD_KIB } from './limits.js';
import { mountsAt } from './mount-point.js';

/** Sets the read-ahead of the mount at `mountPoint`; resolves with why not when it could not. */
export async function widenKernelReadAhead(mountPoint: string): Promise<string | undefined> {
  const mount = (await mountsAt(mountPoint)).at(-1);
  if (mount === undefined) return 'the mount is not listed in /proc/self/mountinfo';
  if (!/^\d+:\d+$/.test(mount.device)) return `unexpected device ${mount.device}`;
  try {
    await writeFile(`/sys/class/bdi/${mount.device}/read_ahead_kb`, `${KERNEL_READ_AHEAD_KIB}\n`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
