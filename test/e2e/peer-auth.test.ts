// Authenticated servers (issue 7 item 1) through real processes: a chunkserver without the
// cluster's secret cannot register and says why; requests to the master's chunkserver routes and
// to a chunkserver's orders and forwarding are refused (401 UNAUTHENTICATED, with the reason)
// when unsigned, forged, altered, stale or replayed, and change nothing; signed ones are accepted.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cOf } from '../../shared/checksum.js';
import { applyInlinePath, BODY_CRC_HEADER } from '../../shared/protocol/data.js';
import { ensureSecretFile, SECRET_FILE_NAME } from '../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../shared/security/keys.js';
import { PEER_CLOCK_SKEW_MS, signPeerRequest } from '../../shared/security/peer-signature.js';
import { TestCluster } from '../harness/cluster.js';
import { freePort } from '../harness/free-port.js';
import { runGfs } from '../harness/gfs-cli.js';

interface Reply {
  status: number;
  body: { code?: string; message?: string };
}

/** Sends exactly these bytes with these headers: the test plays a server of the cluster, or an intruder. */
async function send(
  address: string,
  method: string,
  path: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Reply> {
  const response = await fetch(`http://${address}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Reply['body']) };
}

function expectRefused(reply: Reply, reason: string): void {
  expect(reply.status).toBe(401);
  expect(reply.body.code).toBe('UNAUTHENTICATED');
  expect(reply.body.message).toContain(reason);
}

describe('authenticated servers', () => {
  let cluster: TestCluster;
  let peerKey: Buffer;
  /** A key from another cluster's secret: what an intruder, or a misconfigured server, signs with. */
  let otherKey: Buffer;
  let otherSecretFile: string;
  let scratch: string;
  let masterAddress: string;
  let chunkserverAddress: string;
  let chunkserverId: string;

  beforeAll(async () => {
    // No heartbeat during the tests: a chunk a test's signed grant creates is unknown to the
    // master, which would have it deleted at the next full report (an orphan), in the middle of
    // the checks that count it (seen on a loaded CI machine).
    cluster = await TestCluster.start({ chunkservers: 1, replication: 1, heartbeat: '30s', deadAfter: '2m' });
    scratch = await mkdtemp(join(tmpdir(), 'gfs-peer-auth-'));
    const secret = (await readFile(join(cluster.root, SECRET_FILE_NAME), 'utf8')).trim();
    peerKey = deriveClusterKeys(Buffer.from(secret)).peerRequest;
    const other = await ensureSecretFile(scratch);
    otherSecretFile = other.path;
    otherKey = deriveClusterKeys(other.secret).peerRequest;
    masterAddress = `127.0.0.1:${cluster.master.port}`;
    const [only] = (await cluster.status()).chunkservers;
    if (only === undefined) throw new Error('no chunkserver registered');
    chunkserverAddress = only.address;
    chunkserverId = only.id;
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  /** Runs a real `gfs chunkserver` that is expected to be refused and exit by itself. */
  async function refusedChunkserver(name: string, security: readonly string[]) {
    const port = await freePort();
    const result = await runGfs(
      [
        'chunkserver',
        '--master',
        cluster.masterUrl,
        '--port',
        String(port),
        '--data',
        join(scratch, name),
        ...security,
      ],
      { timeoutMs: 30_000 },
    );
    return { ...result, port, lines: result.stderr.trim().split('\n') };
  }

  it('refuses a chunkserver with another secret: it exits 1 saying why, and is not listed', async () => {
    const refused = await refusedChunkserver('other-secret', ['--secret-file', otherSecretFile]);
    expect(refused.code).toBe(1);
    expect(refused.lines).toEqual([
      `gfs: master refused this chunkserver: bad signature (altered, or signed with another secret); give it the master's DATA/cluster.secret: ${masterAddress}`,
    ]);
    const status = await cluster.status();
    expect(status.chunkservers.map((cs) => cs.address)).toEqual([chunkserverAddress]);
  }, 60_000);

  it('refuses a chunkserver started with --insecure against a secure master', async () => {
    const refused = await refusedChunkserver('insecure', ['--insecure']);
    expect(refused.code).toBe(1);
    // Its own warning that it runs --insecure comes first (a log line); the last line is the failure.
    expect(refused.lines.at(-1)).toBe(
      `gfs: master refused this chunkserver: not signed with the cluster secret; this chunkserver runs with --insecure: give it the master's DATA/cluster.secret with --secret-file: ${masterAddress}`,
    );
    const status = await cluster.status();
    expect(status.chunkservers.map((cs) => cs.address)).toEqual([chunkserverAddress]);
  }, 60_000);

  it('refuses unsigned, forged, altered, stale and replayed requests to the master, accepts signed ones', async () => {
    const path = '/cs/register';
    const intruder = JSON.stringify({
      id: 'intruder',
      address: '127.0.0.1:9',
      rack: '',
      capacityBytes: 1e12,
      usedBytes: 0,
      chunks: [],
    });
    expectRefused(await send(masterAddress, 'POST', path, intruder, {}), 'not signed with the cluster secret');
    expectRefused(
      await send(masterAddress, 'POST', path, intruder, signPeerRequest(otherKey, 'POST', path, intruder)),
      'bad signature',
    );
    const heartbeat = JSON.stringify({ id: chunkserverId, capacityBytes: 1e12, usedBytes: 0, extendLeases: [] });
    // Signed for a heartbeat, sent as a registration: the path is part of what is signed.
    expectRefused(
      await send(masterAddress, 'POST', path, heartbeat, signPeerRequest(peerKey, 'POST', '/cs/heartbeat', heartbeat)),
      'bad signature',
    );
    // Signed, then the body swapped for another.
    expectRefused(
      await send(masterAddress, 'POST', path, intruder, signPeerRequest(peerKey, 'POST', path, heartbeat)),
      'body does not match its signature',
    );
    const stale = Date.now() - 2 * PEER_CLOCK_SKEW_MS;
    expectRefused(
      await send(masterAddress, 'POST', path, intruder, signPeerRequest(peerKey, 'POST', path, intruder, stale)),
      'timestamp more than',
    );
    const status = await cluster.status();
    expect(status.chunkservers.map((cs) => cs.id)).toEqual([chunkserverId]);

    // A heartbeat signed with the cluster's key is accepted, once.
    const signed = signPeerRequest(peerKey, 'POST', '/cs/heartbeat', heartbeat);
    const accepted = await send(masterAddress, 'POST', '/cs/heartbeat', heartbeat, signed);
    expect(accepted.status).toBe(200);
    expectRefused(await send(masterAddress, 'POST', '/cs/heartbeat', heartbeat, signed), 'replayed');
  });

  it('refuses forged, altered, stale and replayed orders to a chunkserver, which change nothing', async () => {
    const chunks = async () => {
      const text = await (await fetch(`http://${chunkserverAddress}/metrics`)).text();
      return Number(/^gfs_chunkserver_chunks (\d+)$/m.exec(text)?.[1]);
    };
    const before = await chunks();
    const path = '/chunk/grant';
    const grant = JSON.stringify({ handle: '987654321', version: 1, create: true });
    expectRefused(await send(chunkserverAddress, 'POST', path, grant, {}), 'not signed with the cluster secret');
    expectRefused(
      await send(chunkserverAddress, 'POST', path, grant, signPeerRequest(otherKey, 'POST', path, grant)),
      'bad signature',
    );
    // A revoke's signature reused for a grant.
    expectRefused(
      await send(chunkserverAddress, 'POST', path, grant, signPeerRequest(peerKey, 'POST', '/chunk/revoke', grant)),
      'bad signature',
    );
    const other = JSON.stringify({ handle: '987654322', version: 1, create: true });
    expectRefused(
      await send(chunkserverAddress, 'POST', path, other, signPeerRequest(peerKey, 'POST', path, grant)),
      'body does not match its signature',
    );
    expectRefused(
      await send(
        chunkserverAddress,
        'POST',
        path,
        grant,
        signPeerRequest(peerKey, 'POST', path, grant, Date.now() - 2 * PEER_CLOCK_SKEW_MS),
      ),
      'timestamp more than',
    );
    expect(await chunks()).toBe(before);

    const signed = signPeerRequest(peerKey, 'POST', path, grant);
    expect((await send(chunkserverAddress, 'POST', path, grant, signed)).status).toBe(200);
    expect(await chunks()).toBe(before + 1);
    expectRefused(await send(chunkserverAddress, 'POST', path, grant, signed), 'replayed');
    expect(await chunks()).toBe(before + 1);
  });

  it('refuses an unsigned or altered apply-inline (primary → secondary, on the bare data path)', async () => {
    const bytes = Buffer.from('not from a primary');
    const path = applyInlinePath('987654321', 1, 0, 1);
    const headers = { 'content-type': 'application/octet-stream', [BODY_CRC_HEADER]: String(crc32cOf(bytes)) };
    expectRefused(await send(chunkserverAddress, 'PUT', path, bytes, headers), 'not signed with the cluster secret');
    const signedForOther = signPeerRequest(peerKey, 'PUT', path, Buffer.from('what the primary sent'));
    expectRefused(
      await send(chunkserverAddress, 'PUT', path, bytes, { ...headers, ...signedForOther }),
      'body does not match its signature',
    );
  });
});
