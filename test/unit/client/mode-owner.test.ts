// gfs chmod's MODE (client/cli/mode-spec.ts) and the mount's owner map (client/mount/owner-map.ts).

import { describe, expect, it } from 'vitest';
import { parseModeSpec } from '../../../client/cli/mode-spec.js';
import { IdTable, NOBODY_ID, OwnerMap } from '../../../client/mount/owner-map.js';
import { codeOf } from '../../harness/error-code.js';

describe('chmod modes', () => {
  it('reads octal and symbolic modes', () => {
    expect(parseModeSpec('644')(0o777)).toBe(0o644);
    expect(parseModeSpec('1777')(0)).toBe(0o1777);
    expect(parseModeSpec('u+x')(0o644)).toBe(0o744);
    expect(parseModeSpec('go-w')(0o666)).toBe(0o644);
    expect(parseModeSpec('a=r')(0o755)).toBe(0o444);
    expect(parseModeSpec('+x')(0o644)).toBe(0o755);
    expect(parseModeSpec('u=rw,go=')(0o777)).toBe(0o600);
    expect(parseModeSpec('+t')(0o777)).toBe(0o1777);
  });
  it('refuses anything else', () => {
    for (const text of ['999', '8', 'u+q', 'x+r', '', 'u+x,,'])
      expect(codeOf(() => parseModeSpec(text))).toBe('INVALID_ARGUMENT');
  });
});

describe('owner map', () => {
  const users = new IdTable('root:x:0:0::/root:/bin/sh\n# comment\nalice:x:1001:1001::/home/alice:/bin/sh\n');
  const groups = new IdTable('root:x:0:\nstaff:x:50:alice\n');
  const local = { uid: 4242, gid: 4343 };

  it('shows the mounting gfs user as the mounting process, others by local name, else nobody', () => {
    const map = new OwnerMap(local, { user: 'me', groups: ['mine', 'staff'] }, users, groups);
    expect(map.of({ owner: 'me', group: 'mine' })).toEqual(local);
    expect(map.of({ owner: 'alice', group: 'staff' })).toEqual({ uid: 1001, gid: 50 });
    expect(map.of({ owner: 'stranger', group: 'strangers' })).toEqual({ uid: NOBODY_ID, gid: NOBODY_ID });
    expect(map.userNamed(4242)).toBe('me');
    expect(map.userNamed(1001)).toBe('alice');
    expect(map.groupNamed(50)).toBe('staff');
    expect(map.userNamed(7)).toBeUndefined();
  });

  it('answers access(2) by the class of the mounting gfs user', () => {
    const map = new OwnerMap(local, { user: 'me', groups: ['mine'] }, users, groups);
    expect(map.permits({ owner: 'me', group: 'x', mode: 0o600 }, 6)).toBe(true);
    expect(map.permits({ owner: 'me', group: 'x', mode: 0o400 }, 2)).toBe(false);
    expect(map.permits({ owner: 'alice', group: 'mine', mode: 0o640 }, 4)).toBe(true);
    expect(map.permits({ owner: 'alice', group: 'staff', mode: 0o640 }, 4)).toBe(false);
    expect(
      new OwnerMap(local, { user: 'me', groups: [], superuser: true }).permits({ owner: 'a', group: 'b', mode: 0 }, 7),
    ).toBe(true);
  });

  it('shows everything as the mounting user without a gfs identity (--insecure)', () => {
    const map = new OwnerMap(local, undefined, users, groups);
    expect(map.of({ owner: 'alice', group: 'staff' })).toEqual(local);
    expect(map.mapsOwners).toBe(false);
  });
});
