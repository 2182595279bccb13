// The mount acts as the mounting user's gfs identity (issue 7): the master checks every operation
// as the user whose token `gfs mount` was started with, a refusal is EACCES, and stat shows that
// user's files as the mounting process's, others' by local name or as nobody.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { TestCluster } from '../harness/cluster.js';
import { sh, shOk, stopAllMounts, TestMount } from '../harness/mount.js';
import { TEST_ADMIN, testToken } from '../harness/test-identity.js';

const ALICE = testToken({ user: 'alice' });
const ADMIN = testToken({ user: TEST_ADMIN, superuser: true });
/** No local account has this name, so its files show as nobody. */
const STRANGER = 'gfs-stranger-7';

let cluster: TestCluster;
let admin: GfsClient;
let mount: TestMount;

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkservers: 2, replication: 2 });
  admin = new GfsClient({ master: cluster.masterUrl, token: ADMIN });
  await admin.mkdir('/home/alice', { recursive: true });
  await admin.chown('/home/alice', { user: 'alice', group: 'alice' });
  await admin.writeFile('/home/alice/theirs', 'not for alice\n');
  await admin.chown('/home/alice/theirs', { user: STRANGER, group: STRANGER });
  await admin.chmod('/home/alice/theirs', 0o600);
  mount = await TestMount.start(cluster, { env: { GFS_TOKEN: ALICE } });
});

afterAll(async () => {
  await stopAllMounts();
  await admin?.close();
  await cluster?.stop();
});

describe('a mount as a gfs user', () => {
  it('writes as that user, shows its files as the mounting process’s and refuses what it may not do', async () => {
    const home = `${mount.dir}/home/alice`;
    await shOk(`echo mine > "${home}/mine"`);
    expect(await admin.stat('/home/alice/mine')).toMatchObject({ owner: 'alice', group: 'alice' });
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    expect((await shOk(`stat -c '%u %g' "${home}/mine"`)).trim()).toBe(`${uid} ${gid}`);
    expect((await shOk(`stat -c '%u %g' "${home}/theirs"`)).trim()).toBe('65534 65534');

    const read = await sh(`cat "${home}/theirs"`);
    expect(read.code).not.toBe(0);
    expect(read.stderr).toMatch(/Permission denied/);
    expect((await sh(`test -r "${home}/theirs"`)).code).toBe(1);
    expect((await sh(`test -r "${home}/mine"`)).code).toBe(0);
    const write = await sh(`echo x >> "${home}/theirs"`);
    expect(write.stderr).toMatch(/Permission denied/);
    const outside = await sh(`mkdir "${mount.dir}/alice-top"`);
    expect(outside.stderr).toMatch(/Permission denied/);
    // A file created read-only is still written through the descriptor that created it (POSIX),
    // and is read-only from its last close on.
    await shOk(`(umask 0222 && echo read-only > "${home}/ro")`);
    expect((await admin.readFile('/home/alice/ro')).toString()).toBe('read-only\n');
    expect((await admin.stat('/home/alice/ro')).mode).toBe(0o444);
    expect((await sh(`echo more >> "${home}/ro"`)).stderr).toMatch(/Permission denied/);
    // Nothing of the stranger's changed.
    expect((await admin.readFile('/home/alice/theirs')).toString()).toBe('not for alice\n');
  });
});
