// TLS end to end (docs/security-tls.md): `gfs cluster --tls-cert --tls-key --tls-ca` with a
// certificate made here by openssl. Every role talks HTTPS: the CLI to the master and the
// chunkservers, the write chain between chunkservers, the master's orders, a re-replication
// clone after a chunkserver dies, and the gateway. A client that does not trust the CA, and one
// that speaks plain HTTP, fail in one line.

import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { freePortRun } from '../harness/free-port.js';
import { runGfs } from '../harness/gfs-cli.js';
import { startGfsCluster } from '../harness/gfs-cluster-process.js';
import { makeTestCerts, type TestCerts } from '../harness/tls-certs.js';
import { waitFor } from '../harness/wait.js';

let cleanup: (() => Promise<void>) | undefined;

afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

interface TlsCluster {
  root: string;
  port: number;
  certs: TestCerts;
  lines: string[];
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Makes certificates, starts `gfs cluster` with TLS and waits for its two lines; cleanup stops it. */
async function startTlsCluster(args: readonly string[]): Promise<TlsCluster> {
  const root = await mkdtemp(join(tmpdir(), 'gfs-tls-'));
  cleanup = async () => {
    await rm(root, { recursive: true, force: true });
  };
  const certs = await makeTestCerts(root);
  const tlsArgs = ['--tls-cert', certs.cert, '--tls-key', certs.key, '--tls-ca', certs.ca];
  const cluster = await startGfsCluster(join(root, 'data'), [...tlsArgs, ...args]);
  cleanup = async () => {
    await cluster.stop();
    await rm(root, { recursive: true, force: true });
  };
  return { root, certs, ...cluster };
}

/** The PID of the child of `parent` whose command line contains `needle` (Linux /proc). */
async function childPid(parent: number, needle: string): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // Field 4 (after the parenthesised name, which may hold spaces) is the parent PID.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ');
      if (ppid === parent && cmdline.includes(needle)) return Number(entry);
    } catch {
      // The process ended while we looked: not the one.
    }
  }
  throw new Error(`no child of ${parent} running ${needle}`);
}

describe('TLS', () => {
  it('a TLS cluster works end to end: cp/cat/ls/status over https, the gateway, re-replication; untrusted and plain clients fail in one line', async () => {
    const cluster = await startTlsCluster([
      '--chunkservers',
      '3',
      '--replication',
      '2',
      '--chunk-size',
      '1MiB',
      '--heartbeat',
      '300ms',
      '--dead-after',
      '2s',
      // A dead primary's lease must run out before its chunks are cloned: short, as in TestCluster.
      '--lease',
      '5s',
    ]);
    const { port, certs } = cluster;
    const masterUrl = `https://127.0.0.1:${port}`;
    const gatewayUrl = `https://127.0.0.1:${port + 4}`;
    expect(cluster.lines).toEqual([`master: ${masterUrl}`, `gateway: ${gatewayUrl}`]);
    const gfs = (args: readonly string[], input?: Buffer) =>
      runGfs(['--master', masterUrl, '--tls-ca', certs.ca, ...args], input === undefined ? {} : { input });

    // A few MiB: several chunks, each pushed along a two-chunkserver chain over https.
    const data = seededBytes(5 * 1024 * 1024 + 12_345, 7);
    const local = join(cluster.root, 'in.bin');
    await writeFile(local, data);
    const cp = await gfs(['cp', local, 'gfs:/big.bin']);
    expect(cp.stderr).toBe('');
    expect(cp.code).toBe(0);
    const cat = await gfs(['cat', 'gfs:/big.bin']);
    expect(cat.code).toBe(0);
    expect(sha256(cat.stdout)).toBe(sha256(data));
    // The CA from the environment, and a gfs://host:port path taking --master's https.
    const viaEnv = await runGfs(['--master', masterUrl, 'cat', `gfs://127.0.0.1:${port}/big.bin`], {
      env: { GFS_TLS_CA: certs.ca },
    });
    expect(viaEnv.code).toBe(0);
    expect(sha256(viaEnv.stdout)).toBe(sha256(data));

    const ls = await gfs(['ls', '-l', 'gfs:/']);
    expect(ls.code).toBe(0);
    expect(ls.stdout.toString()).toContain('big.bin');
    const status = await gfs(['status', '--json']);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout.toString()) as { chunkservers: { address: string; alive: boolean }[] };
    // Addresses stay host:port (the --json contract); the scheme is the cluster's.
    expect(parsed.chunkservers.filter((cs) => cs.alive).map((cs) => cs.address)).toHaveLength(3);
    expect(parsed.chunkservers.every((cs) => /^127\.0\.0\.1:\d+$/.test(cs.address))).toBe(true);

    // The gateway answers over https to a client that trusts the CA.
    const agent = new Agent({ connect: { ca: await readFile(certs.ca, 'utf8') } });
    try {
      const health = await request(`${gatewayUrl}/healthz`, { dispatcher: agent });
      expect(health.statusCode).toBe(200);
      await health.body.dump();
      const file = await request(`${gatewayUrl}/api/v1/files/big.bin`, { dispatcher: agent });
      expect(file.statusCode).toBe(200);
      expect(sha256(Buffer.from(await file.body.arrayBuffer()))).toBe(sha256(data));
    } finally {
      await agent.close();
    }

    // No CA, or the wrong one: one line, exit 1.
    for (const trust of [[], ['--tls-ca', certs.otherCa]]) {
      const untrusted = await runGfs(['--master', masterUrl, ...trust, 'ls', 'gfs:/']);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toBe(`gfs: TLS: certificate not trusted (pass --tls-ca FILE): ${masterUrl}\n`);
    }
    // Plain HTTP to the TLS master: told so in one line, exit 1, no stack trace.
    const plain = await runGfs(['--master', `http://127.0.0.1:${port}`, 'ls', 'gfs:/'], { timeoutMs: 30_000 });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(`gfs: this server speaks HTTPS only (use an https:// URL): http://127.0.0.1:${port}\n`);
    // The gateway and a chunkserver answer a plain request the same way, for curl or a browser.
    for (const plainUrl of [`http://127.0.0.1:${port + 4}/healthz`, `http://127.0.0.1:${port + 1}/healthz`]) {
      const response = await fetch(plainUrl);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ message: 'this server speaks HTTPS only (use an https:// URL)' });
    }

    // A chunkserver dies: the master orders clones over https, chunkserver to chunkserver, until
    // every chunk has its two replicas again.
    process.kill(await childPid(cluster.child.pid ?? -1, join(cluster.root, 'data', 'cs1')), 'SIGKILL');
    await waitFor(
      'fsck healthy after re-replication',
      async () => {
        // Dead first (then it stays dead), so a healthy fsck is one after the loss.
        const alive = JSON.parse((await gfs(['status', '--json'])).stdout.toString()) as {
          chunkservers: { alive: boolean }[];
        };
        if (alive.chunkservers.filter((cs) => cs.alive).length !== 2) return undefined;
        const fsck = await gfs(['fsck', '--json']);
        const report = JSON.parse(fsck.stdout.toString() || '{}') as { healthy?: boolean };
        return fsck.code === 0 && report.healthy === true ? true : undefined;
      },
      60_000,
      500,
    );
    const after = await gfs(['cat', 'gfs:/big.bin']);
    expect(after.code).toBe(0);
    expect(sha256(after.stdout)).toBe(sha256(data));

    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
  });

  it('refuses half or broken TLS settings in one line: a cert without a key (exit 2), unreadable or wrong files, an untrusted cluster (exit 1)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gfs-tls-flags-'));
    cleanup = async () => {
      await rm(root, { recursive: true, force: true });
    };
    const certs = await makeTestCerts(root);
    const port = await freePortRun(5);
    const master = ['master', '--port', String(port), '--data', join(root, 'master')];
    // OpenSSL's own reason, in parentheses, differs between versions: any one line will do.
    const reason = (before: string, subject: string) =>
      new RegExp(`^gfs: ${before} \\([^\\n]*\\): ${subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`);
    const cases: [string[], number, string | RegExp][] = [
      [[...master, '--tls-cert', certs.cert], 2, 'gfs: --tls-cert and --tls-key go together: give both or neither\n'],
      [
        ['gateway', '--port', String(port), '--tls-key', certs.key],
        2,
        'gfs: --tls-cert and --tls-key go together: give both or neither\n',
      ],
      [
        [...master, '--tls-cert', join(root, 'nope.pem'), '--tls-key', certs.key],
        1,
        `gfs: cannot read TLS certificate (no such file): ${join(root, 'nope.pem')}\n`,
      ],
      // The CA's certificate does not go with the server's key.
      [
        [...master, '--tls-cert', certs.ca, '--tls-key', certs.key],
        1,
        reason('TLS key does not match the certificate', certs.key),
      ],
      [
        ['--tls-ca', join(root, 'nope.pem'), 'ls', 'gfs:/'],
        1,
        `gfs: cannot read TLS CA file (no such file): ${join(root, 'nope.pem')}\n`,
      ],
      [
        [
          'cluster',
          '--data',
          join(root, 'cluster'),
          '--port',
          String(port),
          '--tls-cert',
          certs.cert,
          '--tls-key',
          certs.otherCa,
        ],
        1,
        reason('not a PEM private key', certs.otherCa),
      ],
      // All TLS or all plain: a TLS chunkserver is not given a plain master.
      [
        [
          'chunkserver',
          '--master',
          `http://127.0.0.1:${port}`,
          '--port',
          String(port + 1),
          '--data',
          join(root, 'cs'),
        ].concat(['--tls-cert', certs.cert, '--tls-key', certs.key]),
        1,
        `gfs: a cluster is all TLS or all plain (this chunkserver serves TLS: give the master as https://): http://127.0.0.1:${port}\n`,
      ],
      // A cluster whose own CA is not given fails at once, not after its start-up timeout.
      [
        ['cluster', '--data', join(root, 'untrusted'), '--port', String(port), '--tls-cert', certs.cert].concat([
          '--tls-key',
          certs.key,
        ]),
        1,
        `gfs: cluster failed to start: TLS: certificate not trusted (pass --tls-ca FILE): https://127.0.0.1:${port}\n`,
      ],
    ];
    for (const [args, code, stderr] of cases) {
      const result = await runGfs(args, { timeoutMs: 30_000 });
      expect({ args, code: result.code }).toEqual({ args, code });
      if (typeof stderr === 'string') expect(result.stderr).toBe(stderr);
      else expect(result.stderr).toMatch(stderr);
    }
  });
});
