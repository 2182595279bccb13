// The permission rule (master/permissions/access.ts) and the path checks built on it
// (path-checks.ts), on a real path table built by the state machine; and ownership through the op
// log: records name owners, old records without them mean root, a checkpoint keeps them.

import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../master/http/caller.js';
import { chownFor } from '../../../master/http/chown.js';
import { EXECUTE, permits, READ, WRITE } from '../../../master/permissions/access.js';
import {
  requireAccess,
  requireCreateBelow,
  requireOwner,
  requireParentWrite,
  requireSubtree,
  requireTraverse,
} from '../../../master/permissions/path-checks.js';
import { apply } from '../../../master/state/apply.js';
import { createState } from '../../../master/state/namespace-table.js';
import { fromSnapshot, toSnapshot } from '../../../master/state/snapshot.js';
import type { LogRecord, MasterState } from '../../../master/state/types.js';
import { codeOf } from '../../harness/error-code.js';

const alice: Caller = { user: 'alice', groups: ['alice', 'staff'], superuser: false };
const bob: Caller = { user: 'bob', groups: ['bob'], superuser: false };
const carol: Caller = { user: 'carol', groups: ['staff'], superuser: false };
const admin: Caller = { user: 'ops', groups: ['ops'], superuser: true };

function stateWith(records: LogRecord[]): MasterState {
  const state = createState(1024 * 1024);
  for (const record of records) apply(state, record);
  return state;
}

/** / (root 0755) → /home (root 0755) → /home/alice (alice:staff 0750) → /home/alice/f (0640), /home/alice/open (0666). */
function homes(): MasterState {
  return stateWith([
    { op: 'mkdir', path: '/home', parents: false, mode: 0o755, mtimeMs: 1 },
    { op: 'mkdir', path: '/home/alice', parents: false, mode: 0o750, mtimeMs: 1, owner: 'alice', group: 'staff' },
    {
      op: 'create',
      path: '/home/alice/f',
      overwrite: false,
      replication: 3,
      mode: 0o640,
      mtimeMs: 1,
      owner: 'alice',
      group: 'staff',
    },
    {
      op: 'create',
      path: '/home/alice/open',
      overwrite: false,
      replication: 3,
      mode: 0o666,
      mtimeMs: 1,
      owner: 'alice',
      group: 'staff',
    },
  ]);
}

describe('permits', () => {
  const entry = { owner: 'alice', group: 'staff', mode: 0o640 };
  it('takes the owner bits for the owner, the group bits for a member, the others bits else', () => {
    expect(permits(alice, entry, READ | WRITE)).toBe(true);
    expect(permits(alice, entry, EXECUTE)).toBe(false);
    expect(permits(carol, entry, READ)).toBe(true);
    expect(permits(carol, entry, WRITE)).toBe(false);
    expect(permits(bob, entry, READ)).toBe(false);
  });
  it('uses only the owner class for the owner, as POSIX does (no fall-through to group or others)', () => {
    expect(permits(alice, { owner: 'alice', group: 'staff', mode: 0o077 }, READ)).toBe(false);
  });
  it('lets a superuser do anything, and treats an entry without owner as root:root', () => {
    expect(permits(admin, { mode: 0 }, READ | WRITE | EXECUTE)).toBe(true);
    expect(permits({ user: 'root', groups: ['root'], superuser: false }, { mode: 0o700 }, READ)).toBe(true);
    expect(permits(bob, { mode: 0o700 }, READ)).toBe(false);
  });
});

describe('path checks', () => {
  it('needs execute on every ancestor to reach a path', () => {
    const state = homes();
    expect(() => requireTraverse(state, carol, '/home/alice/f')).not.toThrow();
    expect(codeOf(() => requireTraverse(state, bob, '/home/alice/f'))).toBe('PERMISSION_DENIED');
    expect(() => requireTraverse(state, admin, '/home/alice/f')).not.toThrow();
  });

  it('names the path and what was missing', () => {
    const state = homes();
    expect(() => requireAccess(state, bob, '/home/alice/f', READ)).toThrow(
      /permission denied \(bob needs execute on \/home\/alice\)/,
    );
  });

  it('reads and writes files by their bits', () => {
    const state = homes();
    expect(() => requireAccess(state, carol, '/home/alice/f', READ)).not.toThrow();
    expect(codeOf(() => requireAccess(state, carol, '/home/alice/f', WRITE))).toBe('PERMISSION_DENIED');
    expect(() => requireAccess(state, carol, '/home/alice/open', WRITE)).not.toThrow();
  });

  it('needs write and execute on the parent to add or remove a name', () => {
    const state = homes();
    expect(() => requireParentWrite(state, alice, '/home/alice/new')).not.toThrow();
    expect(codeOf(() => requireParentWrite(state, carol, '/home/alice/new'))).toBe('PERMISSION_DENIED');
    expect(codeOf(() => requireParentWrite(state, alice, '/home/x'))).toBe('PERMISSION_DENIED');
    expect(() => requireParentWrite(state, admin, '/home/x')).not.toThrow();
  });

  it('lets only owners remove from a sticky directory', () => {
    const state = stateWith([
      { op: 'mkdir', path: '/tmp', parents: false, mode: 0o1777, mtimeMs: 1 },
      { op: 'create', path: '/tmp/a', overwrite: false, replication: 1, mode: 0o644, mtimeMs: 1, owner: 'alice' },
    ]);
    expect(() => requireParentWrite(state, alice, '/tmp/a')).not.toThrow();
    expect(() => requireParentWrite(state, bob, '/tmp/b')).not.toThrow();
    expect(codeOf(() => requireParentWrite(state, bob, '/tmp/a'))).toBe('PERMISSION_DENIED');
  });

  it('checks mkdir -p at the deepest directory that exists', () => {
    const state = homes();
    expect(() => requireCreateBelow(state, alice, '/home/alice/a/b/c')).not.toThrow();
    expect(codeOf(() => requireCreateBelow(state, bob, '/home/bob/a'))).toBe('PERMISSION_DENIED');
  });

  it('leaves chmod to the owner', () => {
    const state = homes();
    expect(() => requireOwner(state, alice, '/home/alice/f')).not.toThrow();
    expect(codeOf(() => requireOwner(state, carol, '/home/alice/f'))).toBe('PERMISSION_DENIED');
    expect(() => requireOwner(state, admin, '/home/alice/f')).not.toThrow();
  });

  it('checks every entry of a tree (recursive delete, snapshot)', () => {
    const state = homes();
    expect(() => requireSubtree(state, carol, '/home/alice', READ, READ | EXECUTE)).not.toThrow();
    apply(state, { op: 'chmod', path: '/home/alice/open', mode: 0o600 });
    expect(codeOf(() => requireSubtree(state, carol, '/home/alice', READ, READ | EXECUTE))).toBe('PERMISSION_DENIED');
    expect(codeOf(() => requireSubtree(state, carol, '/home/alice', 0, WRITE | EXECUTE))).toBe('PERMISSION_DENIED');
    expect(() => requireSubtree(state, alice, '/home/alice', 0, WRITE | EXECUTE)).not.toThrow();
  });

  it('leaves a missing path to the operation (NOT_FOUND, not a permission error)', () => {
    const state = homes();
    expect(() => requireAccess(state, alice, '/home/alice/missing', READ)).not.toThrow();
  });

  it('leaves trash paths to the operations, which refuse or hide them with their own codes', () => {
    const state = homes();
    apply(state, { op: 'delete', path: '/home/alice/f', recursive: false, mtimeMs: 2, trash: true });
    expect(() => requireCreateBelow(state, bob, '/.gfs-trash/x/y')).not.toThrow();
    expect(() => requireParentWrite(state, bob, '/.gfs-trash')).not.toThrow();
  });
});

describe('chown', () => {
  it('changes an owner only for a superuser, a group also for the owner to a group of theirs', () => {
    const state = homes();
    expect(chownFor(state, admin, '/home/alice/f', { owner: 'bob' })).toEqual({
      op: 'chown',
      path: '/home/alice/f',
      owner: 'bob',
    });
    expect(codeOf(() => chownFor(state, alice, '/home/alice/f', { owner: 'bob' }))).toBe('PERMISSION_DENIED');
    expect(chownFor(state, alice, '/home/alice/f', { group: 'alice' })).toMatchObject({ group: 'alice' });
    expect(codeOf(() => chownFor(state, alice, '/home/alice/f', { group: 'ops' }))).toBe('PERMISSION_DENIED');
    // Naming the group it already has changes nothing, so it is no permission question.
    expect(chownFor(state, carol, '/home/alice/f', { group: 'staff' })).toMatchObject({ group: 'staff' });
    expect(codeOf(() => chownFor(state, carol, '/home/alice/f', { group: 'carol' }))).toBe('PERMISSION_DENIED');
    expect(codeOf(() => chownFor(state, admin, '/home/alice/f', { owner: '../x' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => chownFor(state, admin, '/home/alice/f', {}))).toBe('INVALID_ARGUMENT');
  });
});

describe('ownership in the op log', () => {
  it('keeps owners through records, chown and a checkpoint; records without owners mean root', () => {
    const state = homes();
    apply(state, { op: 'chown', path: '/home/alice/f', owner: 'bob' });
    apply(state, { op: 'mkdir', path: '/old', parents: false, mode: 0o755, mtimeMs: 1 });
    const reloaded = fromSnapshot(JSON.parse(JSON.stringify(toSnapshot(state))));
    expect(reloaded.entries.get('/home/alice/f')).toMatchObject({ owner: 'bob', group: 'staff' });
    expect(reloaded.entries.get('/home/alice')).toMatchObject({ owner: 'alice', group: 'staff' });
    expect(reloaded.entries.get('/old')?.owner).toBeUndefined();
    expect(permits(bob, reloaded.entries.get('/old') ?? { mode: 0 }, WRITE)).toBe(false);
  });
});
