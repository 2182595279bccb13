// Issue 7 item 3 through real processes: users with client tokens, owner/group/mode checked by
// the master on every namespace operation. A user without permission cannot read, write, rename
// or delete (one line and exit 1 from the CLI, PERMISSION_DENIED from the SDK); a superuser can;
// a missing, forged or expired token is refused with 401; and the quick start (`gfs cluster`, then
// `gfs cp` with nothing set up) still works.

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { mintClientToken } from '../../shared/security/client-token.js';
import { deriveClusterKeys } from '../../shared/security/keys.js';
import { TestCluster } from '../harness/cluster.js';
import { codeOfAsync } from '../harness/error-code.js';
import { type CliResult, runGfs } from '../harness/gfs-cli.js';
import { type GfsClusterProcess, startGfsCluster } from '../harness/gfs-cluster-process.js';
import { TEST_ADMIN, testToken } from '../harness/test-identity.js';

const ALICE = testToken({ user: 'alice' });
const BOB = testToken({ user: 'bob' });
const ADMIN = testToken({ user: TEST_ADMIN, superuser: true });

let cluster: TestCluster;
let scratch: string;
const clients: GfsClient[] = [];

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkservers: 2, replication: 2 });
  scratch = await mkdtemp(join(tmpdir(), 'gfs-permissions-'));
});

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await cluster?.stop();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

/** `gfs ARGS` against the cluster as the holder of `token`. */
function as(token: string, args: readonly string[], input?: string): Promise<CliResult> {
  return runGfs(['--master', cluster.masterUrl, ...args], {
    env: { GFS_TOKEN: token },
    ...(input === undefined ? {} : { input }),
  });
}

function sdk(token: string): GfsClient {
  const client = new GfsClient({ master: cluster.masterUrl, token, masterOutagePatienceMs: 0 });
  clients.push(client);
  return client;
}

function expectOk(result: CliResult): CliResult {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return result;
}

function expectDenied(result: CliResult, path: string): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^gfs: permission denied \\(.*\\): ${path.replace(/[/.]/g, '\\$&')}`));
}

describe('permissions', () => {
  it('keeps a user out of what another user does not share, and lets a superuser in', async () => {
    const local = join(scratch, 'secret.txt');
    await writeFile(local, 'alice only\n');
    // The admin gives alice and bob a home each.
    expectOk(await as(ADMIN, ['mkdir', '-p', 'gfs:/home/alice', 'gfs:/home/bob']));
    expectOk(await as(ADMIN, ['chown', 'alice:alice', 'gfs:/home/alice']));
    expectOk(await as(ADMIN, ['chown', 'bob', 'gfs:/home/bob']));
    // Outside their homes users are refused: / is root's, 0755.
    expectDenied(await as(ALICE, ['mkdir', 'gfs:/alice-top']), '/alice-top');

    expectOk(await as(ALICE, ['cp', local, 'gfs:/home/alice/secret']));
    expectOk(await as(ALICE, ['chmod', '600', 'gfs:/home/alice/secret']));
    expectOk(await as(ALICE, ['mkdir', 'gfs:/home/alice/private']));
    expectOk(await as(ALICE, ['chmod', 'go-rwx', 'gfs:/home/alice/private']));
    expectOk(await as(ALICE, ['cp', local, 'gfs:/home/alice/private/inner']));
    const info = JSON.parse((await as(ALICE, ['stat', '--json', 'gfs:/home/alice/secret'])).stdout.toString());
    expect(info).toMatchObject({ owner: 'alice', group: 'alice', mode: 0o600 });
    const text = (await as(ALICE, ['stat', 'gfs:/home/alice/private'])).stdout.toString();
    expect(text).toMatch(/^mode: 0700 \(drwx------\)$/m);
    expect(text).toMatch(/^owner: alice$/m);

    // Bob: no read, no write (overwrite, append), no rename, no delete; no listing or creating inside.
    expectDenied(await as(BOB, ['cat', 'gfs:/home/alice/secret']), '/home/alice/secret');
    expectDenied(await as(BOB, ['cp', local, 'gfs:/home/alice/secret']), '/home/alice/');
    expectDenied(await as(BOB, ['append', '--raw', 'gfs:/home/alice/secret'], 'x'), '/home/alice/secret');
    expectDenied(await as(BOB, ['mv', 'gfs:/home/alice/secret', 'gfs:/home/bob/stolen']), '/home/alice/secret');
    expectDenied(await as(BOB, ['rm', 'gfs:/home/alice/secret']), '/home/alice/secret');
    expectDenied(await as(BOB, ['ls', 'gfs:/home/alice/private']), '/home/alice/private');
    expectDenied(await as(BOB, ['mkdir', 'gfs:/home/alice/private/mine']), '/home/alice/private/mine');
    expectDenied(await as(BOB, ['cat', 'gfs:/home/alice/private/inner']), '/home/alice/private/inner');
    expectDenied(await as(BOB, ['chmod', '777', 'gfs:/home/alice/secret']), '/home/alice/secret');
    expectDenied(await as(BOB, ['chown', 'bob', 'gfs:/home/alice/secret']), '/home/alice/secret');
    expectDenied(await as(BOB, ['snapshot', 'gfs:/home/alice/secret', 'gfs:/home/bob/copy']), '/home/alice/secret');

    const bob = sdk(BOB);
    expect(await codeOfAsync(bob.readFile('/home/alice/secret'))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.writeFile('/home/alice/secret', 'bob was here'))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.recordAppend('/home/alice/secret', 'x', { raw: true }))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.truncate('/home/alice/secret', 0))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.rename('/home/alice/secret', '/home/bob/stolen'))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.rm('/home/alice/secret'))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.readdir('/home/alice/private'))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.writeFile('/home/alice/private/bob', 'x'))).toBe('PERMISSION_DENIED');
    expect(await codeOfAsync(bob.rm('/home/alice/private', { recursive: true }))).toBe('PERMISSION_DENIED');
    // Nothing of alice's changed.
    expect((await as(ALICE, ['cat', 'gfs:/home/alice/secret'])).stdout.toString()).toBe('alice only\n');

    // Shared read-only: bob reads, still cannot write.
    expectOk(await as(ALICE, ['chmod', '0644', 'gfs:/home/alice/secret']));
    expect(expectOk(await as(BOB, ['cat', 'gfs:/home/alice/secret'])).stdout.toString()).toBe('alice only\n');
    expect(await codeOfAsync(bob.writeFile('/home/alice/secret', 'no'))).toBe('PERMISSION_DENIED');
    expectDenied(await as(BOB, ['append', '--raw', 'gfs:/home/alice/secret'], 'x'), '/home/alice/secret');
    // Bob works freely in his own home.
    expectOk(await as(BOB, ['cp', 'gfs:/home/alice/secret', 'gfs:/home/bob/copy']));
    expect(JSON.parse((await as(BOB, ['ls', '--json', 'gfs:/home/bob'])).stdout.toString())).toEqual([
      expect.objectContaining({ name: 'copy', owner: 'bob', group: 'bob' }),
    ]);

    // The superuser does everything: read, list, write, chown to bob, delete.
    const admin = sdk(ADMIN);
    expect((await admin.readdir('/home/alice/private')).map((entry) => entry.name)).toEqual(['inner']);
    expect((await admin.readFile('/home/alice/private/inner')).toString()).toBe('alice only\n');
    await admin.writeFile('/home/alice/secret', 'rewritten by the admin\n');
    expectOk(await as(ADMIN, ['chown', '-R', 'bob:bob', 'gfs:/home/alice/private']));
    expect(await admin.stat('/home/alice/private/inner')).toMatchObject({ owner: 'bob', group: 'bob' });
    // Now bob owns them, but alice's directory still keeps him from removing its entries.
    expect((await bob.readFile('/home/alice/private/inner')).toString()).toBe('alice only\n');
    expect(await codeOfAsync(bob.rm('/home/alice/private', { recursive: true }))).toBe('PERMISSION_DENIED');
    expectOk(await as(ADMIN, ['rm', '-r', 'gfs:/home/alice/private']));
    expectOk(await as(ADMIN, ['mv', 'gfs:/home/alice/secret', 'gfs:/home/bob/secret']));
    expect(expectOk(await as(BOB, ['cat', 'gfs:/home/bob/secret'])).stdout.toString()).toBe('rewritten by the admin\n');

    // What alice deleted stays hers: bob cannot take it back into his home, alice can.
    expectOk(await as(ALICE, ['cp', local, 'gfs:/home/alice/gone']));
    expectOk(await as(ALICE, ['rm', 'gfs:/home/alice/gone']));
    expectDenied(await as(BOB, ['restore', 'gfs:/home/alice/gone', '--to', 'gfs:/home/bob/gone']), '/home/alice/gone');
    expect((await as(BOB, ['trash'])).stdout.toString()).not.toContain('/home/alice/gone');
    expect((await as(ALICE, ['trash'])).stdout.toString()).toContain('/home/alice/gone');
    expectOk(await as(ALICE, ['restore', 'gfs:/home/alice/gone']));
  });

  it('refuses requests with no token, a forged token or an expired one (401)', async () => {
    const emptyConfig = await mkdtemp(join(scratch, 'config-'));
    const noToken = await runGfs(['--master', cluster.masterUrl, 'ls', 'gfs:/'], {
      env: { GFS_TOKEN: '', GFS_CONFIG_DIR: emptyConfig },
    });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toBe(
      `gfs: not authenticated (no client token: run \`gfs token create USER --save\` on the master host, or set GFS_TOKEN): ${cluster.masterUrl}\n`,
    );
    const forged = mintClientToken(deriveClusterKeys(Buffer.from('another cluster secret, not this one!!')), {
      user: 'mallory',
      superuser: true,
    });
    const forgedResult = await as(forged, ['ls', 'gfs:/']);
    expect(forgedResult.code).toBe(1);
    expect(forgedResult.stderr).toMatch(
      /^gfs: not authenticated: the client token is invalid .*: http:\/\/127\.0\.0\.1:\d+\n$/,
    );
    const expired = testToken({ user: 'alice', validForMs: 1000 }, Date.now() - 60_000);
    const expiredResult = await as(expired, ['ls', 'gfs:/']);
    expect(expiredResult.code).toBe(1);
    expect(expiredResult.stderr).toMatch(/^gfs: not authenticated: the client token of alice expired at /);
    expect(await codeOfAsync(sdk(expired).stat('/'))).toBe('UNAUTHENTICATED');

    for (const authorization of [undefined, `Bearer ${forged}`, `Bearer ${expired}`, 'Basic abc']) {
      const response = await fetch(`${cluster.masterUrl}/ns/stat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
        body: JSON.stringify({ path: '/' }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    }
    // Probes stay open.
    expect((await fetch(`${cluster.masterUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${cluster.masterUrl}/metrics`)).status).toBe(200);
  });

  it('makes tokens from the master’s data directory and stores them with --save / login', async () => {
    const config = await mkdtemp(join(scratch, 'config-'));
    const env = { GFS_TOKEN: '', GFS_CONFIG_DIR: config, GFS_SECRET: '' };
    const created = await runGfs(
      [
        '--master',
        cluster.masterUrl,
        'token',
        'create',
        'carol',
        '--groups',
        'staff,carol',
        '--expires',
        '1d',
        '--secret-file',
        join(cluster.root, 'cluster.secret'),
        '--save',
      ],
      { env },
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/^gfs: token saved for http:\/\/127\.0\.0\.1:\d+ in .*credentials\.json\n$/);
    expect(created.stdout.toString()).toMatch(/^gfsuser\.[\w-]+\.[\w-]+\n$/);
    expect((await stat(join(config, 'credentials.json'))).mode & 0o777).toBe(0o600);
    // carol (from the saved file, no GFS_TOKEN) gets in, and is no superuser.
    const carolMkdir = await runGfs(['--master', cluster.masterUrl, 'mkdir', 'gfs:/carol'], { env });
    expectDenied(carolMkdir, '/carol');
    const whoami = await runGfs(['--master', cluster.masterUrl, 'whoami'], { env });
    expect(whoami.stdout.toString()).toBe('carol groups=staff,carol\n');
    // Without the secret at hand a token is made by the master, for superusers only.
    const notAdmin = await runGfs(['--master', cluster.masterUrl, 'token', 'create', 'dave'], { env });
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toBe('gfs: permission denied (carol: only a superuser makes tokens): dave\n');
    const byMaster = await runGfs(['--master', cluster.masterUrl, 'token', 'create', 'dave', '--groups', 'ops'], {
      env: { ...env, GFS_TOKEN: ADMIN },
    });
    expect(byMaster.code).toBe(0);
    const dave = byMaster.stdout.toString().trim();
    expect(
      (await runGfs(['--master', cluster.masterUrl, 'whoami'], { env: { ...env, GFS_TOKEN: dave } })).stdout.toString(),
    ).toBe('dave groups=ops\n');
    const login = await runGfs(['--master', cluster.masterUrl, 'login', '--token', BOB], { env });
    expect(login.code).toBe(0);
    const saved = JSON.parse(await readFile(join(config, 'credentials.json'), 'utf8')) as {
      masters: Record<string, { user: string }>;
    };
    expect(saved.masters[cluster.masterUrl]?.user).toBe('bob');
    expect((await runGfs(['login', '--token', 'nonsense'], { env })).stderr).toBe(
      'gfs: not a client token: gfs login\n',
    );
  });
});

describe('quick start', () => {
  let cluster: GfsClusterProcess | undefined;
  let root: string | undefined;

  afterAll(async () => {
    await cluster?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('gfs cluster then gfs cp works with nothing set up: the cluster saves an admin token', async () => {
    root = await mkdtemp(join(tmpdir(), 'gfs-quick-start-'));
    // A newcomer's environment: no token, no secret, an empty config directory.
    const newcomer: NodeJS.ProcessEnv = {
      GFS_CONFIG_DIR: join(root, 'config'),
      GFS_TOKEN: undefined,
      GFS_SECRET: undefined,
    };
    const env: NodeJS.ProcessEnv = { ...process.env, ...newcomer };
    delete env.GFS_TOKEN;
    delete env.GFS_SECRET;
    cluster = await startGfsCluster(join(root, 'data'), [], newcomer);
    const { port } = cluster;
    expect(cluster.stderr()).toMatch(
      /saved an admin token \(user [\w.-]+\) for http:\/\/127\.0\.0\.1:\d+ in .*credentials\.json/,
    );
    const master = `http://127.0.0.1:${port}`;
    const local = join(root, 'hello.txt');
    await writeFile(local, 'hello, quick start\n');
    const run = (args: string[]) => runGfs(['--master', master, ...args], { env: { ...env, GFS_TOKEN: '' } });
    expectOk(await run(['mkdir', 'gfs:/isos']));
    expectOk(await run(['cp', local, 'gfs:/isos/hello.txt']));
    expect((await run(['cat', 'gfs:/isos/hello.txt'])).stdout.toString()).toBe('hello, quick start\n');
    // The gateway the cluster started acts as that admin too.
    const gatewayUrl = cluster.lines[1]?.replace(/^gateway: /, '') ?? '';
    const response = await fetch(`${gatewayUrl}/api/v1/files/isos/hello.txt`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello, quick start\n');
  });
});
