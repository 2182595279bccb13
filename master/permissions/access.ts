// The permission rule itself (issue 7 item 3), as POSIX and HDFS have it: the owner's bits when the
// caller owns the entry, else the group's when the caller is in its group, else the others'; a
// superuser passes everything. Pure: no state, no I/O.

import type { Caller } from '../http/caller.js';
import { DEFAULT_GROUP, DEFAULT_OWNER } from '../state/types.js';

export const READ = 0o4;
export const WRITE = 0o2;
export const EXECUTE = 0o1;
/** Set on a directory: only an entry's owner, the directory's owner or a superuser may delete or rename entries in it. */
export const STICKY = 0o1000;

export interface Owned {
  readonly owner?: string | undefined;
  readonly group?: string | undefined;
  readonly mode: number;
}

export function ownerOf(entry: Owned): string {
  return entry.owner ?? DEFAULT_OWNER;
}

export function groupOf(entry: Owned): string {
  return entry.group ?? DEFAULT_GROUP;
}

/** The rwx bits (0..7) that apply to `caller` for `entry`. */
export function bitsFor(caller: Caller, entry: Owned): number {
  if (caller.user === ownerOf(entry)) return (entry.mode >> 6) & 0o7;
  if (caller.groups.includes(groupOf(entry))) return (entry.mode >> 3) & 0o7;
  return entry.mode & 0o7;
}

/** True when `caller` has every bit of `wanted` (READ | WRITE | EXECUTE) on `entry`. */
export function permits(caller: Caller, entry: Owned, wanted: number): boolean {
  if (caller.superuser) return true;
  return (bitsFor(caller, entry) & wanted) === wanted;
}

/** True when `caller` owns `entry` (or is a superuser): who may chmod it. */
export function owns(caller: Caller, entry: Owned): boolean {
  return caller.superuser || caller.user === ownerOf(entry);
}

/**
 * Whether `caller` may remove or rename `child` out of `parent` beyond the write permission:
 * the sticky bit restricts it to the child's owner, the parent's owner and superusers.
 */
export function stickyAllows(caller: Caller, parent: Owned, child: Owned): boolean {
  if ((parent.mode & STICKY) === 0) return true;
  return owns(caller, child) || owns(caller, parent);
}

/** `r-x` style text of wanted bits, for error messages. */
export function describeAccess(wanted: number): string {
  const words: string[] = [];
  if (wanted & READ) words.push('read');
  if (wanted & WRITE) words.push('write');
  if (wanted & EXECUTE) words.push('execute');
  return words.join('+');
}
