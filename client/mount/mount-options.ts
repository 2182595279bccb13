// The FUSE mount options, passed to libfuse as one raw `-o` list: @cocalc/fuse-native's options
// object has no keys for big_writes, max_write or ac_attr_timeout (DESIGN §6), and a raw list
// keeps every choice in one place with its reason.

import { ATTR_TIMEOUT_S, ENTRY_TIMEOUT_S, FUSE_REQUEST_BYTES_MAX } from './limits.js';

export interface MountOptionsInput {
  readOnly: boolean;
  /** Shown as the mount's source in /proc/mounts and `df` (e.g. the master's address). */
  source: string;
}

/** The filesystem type shows as `fuse.gfs`; the stale-mount check looks for it. */
export const MOUNT_SUBTYPE = 'gfs';

export function mountOptions(input: MountOptionsInput): string[] {
  const options = [
    `fsname=${escapeOption(input.source)}`,
    `subtype=${MOUNT_SUBTYPE}`,
    // Without big_writes the kernel sends 4 KiB writes (36 vs ~390 MB/s, DESIGN §6).
    'big_writes',
    `max_write=${FUSE_REQUEST_BYTES_MAX}`,
    `max_read=${FUSE_REQUEST_BYTES_MAX}`,
    // Keep the page cache across opens unless the size or mtime changed, checked at every open
    // (ac_attr_timeout=0): re-reads are free, and another mount's close is seen (close-to-open).
    'auto_cache',
    'ac_attr_timeout=0',
    `attr_timeout=${ATTR_TIMEOUT_S}`,
    `entry_timeout=${ENTRY_TIMEOUT_S}`,
    // A name another mount creates must be found at once: no negative caching.
    'negative_timeout=0',
    // fusermount stays behind as a watchdog and unmounts if this process dies without unmounting.
    'auto_unmount',
  ];
  if (input.readOnly) options.push('ro');
  return options;
}

/** libfuse splits options on commas and honours backslash escapes; neither may leak into a value. */
function escapeOption(value: string): string {
  return value.replace(/[\\,]/g, '_');
}
