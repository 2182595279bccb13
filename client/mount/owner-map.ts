// Owners on a mount (issue 7): gfs owners are user and group names, the kernel wants ids. What
// the mounting gfs user owns shows as owned by the mounting process (whatever the local login is
// called); another owner shows as the local user (group) of the same name when /etc/passwd
// (/etc/group) has one, else as nobody (65534). Without a gfs identity (a master run with
// --insecure) everything shows as the mounting user's, as before owners existed.

import { readFileSync } from 'node:fs';
import type { Entry } from '../../shared/protocol/namespace.js';
import type { Owner } from './stat.js';

/** The kernel's overflow id ("nobody"/"nogroup"). */
export const NOBODY_ID = 65534;

export interface GfsIdentity {
  user: string;
  groups: readonly string[];
  superuser?: boolean;
}

/** name ↔ id of a passwd- or group-format file (name:x:id:...); a missing file is empty. */
export class IdTable {
  private readonly ids = new Map<string, number>();
  private readonly names = new Map<number, string>();

  constructor(text: string) {
    for (const line of text.split('\n')) {
      const [name, , idText] = line.split(':');
      const id = Number(idText);
      if (name === undefined || name === '' || name.startsWith('#') || !Number.isInteger(id)) continue;
      if (!this.ids.has(name)) this.ids.set(name, id);
      if (!this.names.has(id)) this.names.set(id, name);
    }
  }

  static read(path: string): IdTable {
    try {
      return new IdTable(readFileSync(path, 'utf8'));
    } catch {
      return new IdTable('');
    }
  }

  idOf(name: string): number | undefined {
    return this.ids.get(name);
  }

  nameOf(id: number): string | undefined {
    return this.names.get(id);
  }
}

export class OwnerMap {
  constructor(
    /** The mounting process's ids. */
    private readonly local: Owner,
    private readonly identity: GfsIdentity | undefined,
    private readonly users: IdTable = IdTable.read('/etc/passwd'),
    private readonly groups: IdTable = IdTable.read('/etc/group'),
  ) {}

  of(entry: Pick<Entry, 'owner' | 'group'>): Owner {
    if (this.identity === undefined) return this.local;
    return { uid: this.uidOf(entry.owner), gid: this.gidOf(entry.group) };
  }

  private uidOf(owner: string): number {
    if (owner === this.identity?.user) return this.local.uid;
    return this.users.idOf(owner) ?? NOBODY_ID;
  }

  private gidOf(group: string): number {
    if (group === this.identity?.groups[0]) return this.local.gid;
    return this.groups.idOf(group) ?? NOBODY_ID;
  }

  /** The gfs user a chown(2) to `uid` means: the reverse of `of`; undefined when no name fits. */
  userNamed(uid: number): string | undefined {
    if (this.identity !== undefined && uid === this.local.uid) return this.identity.user;
    return this.users.nameOf(uid);
  }

  groupNamed(gid: number): string | undefined {
    if (this.identity !== undefined && gid === this.local.gid) return this.identity.groups[0];
    return this.groups.nameOf(gid);
  }

  /**
   * access(2) as the master would answer the operation: `wanted` is R_OK | W_OK | X_OK (4, 2, 1,
   * the rwx bits), checked against the class of the mounting gfs user. Only advice: the master
   * checks again on every operation.
   */
  permits(entry: Pick<Entry, 'owner' | 'group' | 'mode'>, wanted: number): boolean {
    const identity = this.identity;
    if (identity === undefined || identity.superuser === true) return true;
    const shift = entry.owner === identity.user ? 6 : identity.groups.includes(entry.group) ? 3 : 0;
    return ((entry.mode >> shift) & 0o7 & wanted) === wanted;
  }

  /**
   * True when a file created with `mode` would refuse its own creator's writes at the master: POSIX
   * lets the descriptor that created a file write it whatever the mode, the master checks the mode
   * on every write, so such a file is created writable and given its mode at the last close.
   */
  createsUnwritable(mode: number): boolean {
    return this.identity !== undefined && this.identity.superuser !== true && (mode & 0o200) === 0;
  }

  get mapsOwners(): boolean {
    return this.identity !== undefined;
  }
}
