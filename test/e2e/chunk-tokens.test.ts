// Chunk access tokens on real processes (issue 7 item 2): a chunkserver of a cluster with a secret
// refuses every data request (read, push, write, inline write, append, sync) whose token is
// missing, forged, altered, expired, for another chunk or version, or of the other mode, with 403
// and the code that says which, and nothing is written; the master's tokens work. An SDK client
// keeps working across its tokens' expiry (short-lived tokens through the test-only knobs).

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { crc32cOf } from '../../shared/checksum.js';
import type { RpcClient } from '../../shared/http/client.js';
import { leaseRoute, locateRoute } from '../../shared/protocol/chunks.js';
import { BODY_CRC_HEADER, pushPath, readPath, writeInlinePath } from '../../shared/protocol/data.js';
import {
  CHUNK_TOKEN_HEADER,
  type ChunkTokenClaims,
  type ChunkTokenMode,
  mintChunkToken,
} from '../../shared/security/chunk-token.js';
import { readSecretFile, SECRET_FILE_NAME } from '../../shared/security/cluster-secret.js';
import { type ClusterKeys, deriveClusterKeys } from '../../shared/security/keys.js';
import { AdminRpcClient } from '../harness/admin-rpc.js';
import { seededBytes } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';

const MiB = 1024 * 1024;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;
let rpc: RpcClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await rpc?.close();
  rpc = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/** The keys every server of the test cluster derives from ROOT/cluster.secret. */
async function keysOf(started: TestCluster): Promise<ClusterKeys> {
  return deriveClusterKeys(await readSecretFile(join(started.root, SECRET_FILE_NAME)));
}

interface Reply {
  status: number;
  code: string | undefined;
  message: string;
  body: Buffer;
}

async function send(
  address: string,
  path: string,
  init: { method: string; token?: string | undefined; headers?: Record<string, string>; body?: Buffer | string },
): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers[CHUNK_TOKEN_HEADER] = init.token;
  const response = await fetch(`http://${address}${path}`, {
    method: init.method,
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const body = Buffer.from(await response.arrayBuffer());
  let code: string | undefined;
  let message = '';
  if (response.status >= 400) {
    const parsed = JSON.parse(body.toString('utf8')) as { code?: string; message?: string };
    code = parsed.code;
    message = parsed.message ?? '';
  }
  return { status: response.status, code, message, body };
}

describe('chunk access tokens', () => {
  it('refuse forged, altered, expired, wrong-chunk and wrong-mode requests with 403, and write nothing', async () => {
    cluster = await TestCluster.start({ chunkservers: 3, chunkSize: '1MiB', lease: '20s' });
    client = new GfsClient({ master: cluster.masterUrl });
    rpc = new AdminRpcClient();
    const keys = await keysOf(cluster);
    const otherKeys = deriveClusterKeys(Buffer.from('another cluster'.repeat(4)));
    const data = seededBytes(MiB + 4096, 7);
    await client.writeFile('/f', data);
    const [first, second] = await client.fileChunks('/f');
    if (first === undefined || second === undefined) throw new Error('expected two chunks');
    const replica = first.replicas[0] as string;
    const { handle, version } = first;
    const mint = (overrides: Partial<ChunkTokenClaims> & { mode: ChunkTokenMode }, key = keys.chunkToken) =>
      mintChunkToken(key, { handle, version, expiresAtMs: Date.now() + 60_000, client: 'test', ...overrides });
    const read = (token: string | undefined) =>
      send(replica, readPath(handle, version, 0, 4096), { method: 'GET', token });

    // The master's read token works.
    const located = await rpc.call(cluster.masterUrl, locateRoute, { path: '/f', index: 0, count: 2 });
    const locatedToken = located.chunks[0]?.token;
    expect(locatedToken).toBeDefined();
    const good = await read(locatedToken);
    expect(good.status).toBe(200);
    expect(good.body.equals(data.subarray(0, 4096))).toBe(true);

    const refusals: Array<[string, string | undefined, string, RegExp]> = [
      ['no token', undefined, 'TOKEN_INVALID', /no chunk access token/],
      ['another cluster', mint({ mode: 'r' }, otherKeys.chunkToken), 'TOKEN_INVALID', /malformed, altered/],
      ['altered', alter(mint({ mode: 'r' })), 'TOKEN_INVALID', /malformed, altered/],
      ['garbage', 'not-a-token', 'TOKEN_INVALID', /malformed, altered/],
      // Past the expiry and the minute of clock skew the chunkserver forgives.
      ['expired', mint({ mode: 'r', expiresAtMs: Date.now() - 5 * 60_000 }), 'TOKEN_EXPIRED', /expired/],
      ['another chunk', mint({ mode: 'r', handle: second.handle }), 'TOKEN_WRONG_CHUNK', /for chunk/],
      ['another version', mint({ mode: 'r', version: version + 1 }), 'TOKEN_WRONG_CHUNK', /for version/],
      ['a write token', mint({ mode: 'w' }), 'TOKEN_WRONG_MODE', /write token cannot read/],
    ];
    for (const [what, token, code, message] of refusals) {
      const reply = await read(token);
      expect({ what, status: reply.status, code: reply.code }).toEqual({ what, status: 403, code });
      expect(reply.message).toMatch(message);
    }

    // Mutations with a read token (or none): refused before anything is taken in.
    const readToken = mint({ mode: 'r' });
    const evil = Buffer.alloc(8192, 0xee);
    const pushReply = await send(replica, pushPath('evil-push-0001', []), {
      method: 'PUT',
      token: readToken,
      headers: { 'content-type': 'application/octet-stream' },
      body: evil,
    });
    expect([pushReply.status, pushReply.code]).toEqual([403, 'TOKEN_WRONG_MODE']);
    const bare = await send(replica, pushPath('evil-push-0002', []), {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: evil,
    });
    expect([bare.status, bare.code]).toEqual([403, 'TOKEN_INVALID']);
    const inline = await send(replica, writeInlinePath(handle, version, 0, []), {
      method: 'PUT',
      token: readToken,
      headers: { 'content-type': 'application/octet-stream', [BODY_CRC_HEADER]: String(crc32cOf(evil)) },
      body: evil,
    });
    expect([inline.status, inline.code]).toEqual([403, 'TOKEN_WRONG_MODE']);
    const json = { 'content-type': 'application/json' };
    const mutation = { handle, version, dataId: 'evil-push-0001', length: evil.length, secondaries: [] };
    for (const [path, body] of [
      ['/chunk/write', { ...mutation, offset: 0 }],
      ['/chunk/append', mutation],
      ['/chunk/sync', { handle }],
    ] as const) {
      const reply = await send(replica, path, {
        method: 'POST',
        token: readToken,
        headers: json,
        body: JSON.stringify(body),
      });
      expect({ path, status: reply.status, code: reply.code }).toEqual({ path, status: 403, code: 'TOKEN_WRONG_MODE' });
      const none = await send(replica, path, { method: 'POST', headers: json, body: JSON.stringify(body) });
      expect({ path, status: none.status, code: none.code }).toEqual({ path, status: 403, code: 'TOKEN_INVALID' });
    }
    const expiredWrite = await send(replica, '/chunk/write', {
      method: 'POST',
      token: mint({ mode: 'w', expiresAtMs: Date.now() - 5 * 60_000 }),
      headers: json,
      body: JSON.stringify({ ...mutation, offset: 0 }),
    });
    expect([expiredWrite.status, expiredWrite.code]).toEqual([403, 'TOKEN_EXPIRED']);

    // Data pushed with a write token for one chunk cannot be written into another with its own token.
    const pushed = await send(replica, pushPath('push-for-second', []), {
      method: 'PUT',
      token: mint({ mode: 'w', handle: second.handle, version: second.version }),
      headers: { 'content-type': 'application/octet-stream' },
      body: evil,
    });
    expect(pushed.status).toBe(200);
    const crossed = await send(replica, '/chunk/write', {
      method: 'POST',
      token: mint({ mode: 'w' }),
      headers: json,
      body: JSON.stringify({ ...mutation, dataId: 'push-for-second', offset: 0 }),
    });
    expect([crossed.status, crossed.code]).toEqual([403, 'TOKEN_WRONG_CHUNK']);
    expect(crossed.message).toMatch(/pushed with a token for chunk/);

    // Nothing was written: every replica still holds the file's bytes.
    for (const chunk of [first, second]) {
      const token = mintChunkToken(keys.chunkToken, {
        handle: chunk.handle,
        version: chunk.version,
        mode: 'r',
        expiresAtMs: Date.now() + 60_000,
        client: 'test',
      });
      const start = chunk.index * MiB;
      const expected = data.subarray(start, Math.min(start + MiB, data.length));
      for (const address of chunk.replicas) {
        const reply = await send(address, readPath(chunk.handle, chunk.version, 0, expected.length), {
          method: 'GET',
          token,
        });
        expect({ address, status: reply.status }).toEqual({ address, status: 200 });
        expect(reply.body.equals(expected)).toBe(true);
      }
    }
    expect((await client.readFile('/f')).equals(data)).toBe(true);

    // The master's write token works: a push down the whole chain and a write at the primary.
    const grant = await rpc.call(cluster.masterUrl, leaseRoute, { path: '/f', index: 1 });
    expect(grant.token).toBeDefined();
    const patch = Buffer.alloc(200_000, 0x5a);
    const chainPush = await send(grant.primary, pushPath('good-push-01', grant.secondaries), {
      method: 'PUT',
      token: grant.token,
      headers: { 'content-type': 'application/octet-stream' },
      body: patch,
    });
    expect(chainPush.status).toBe(200);
    const written = await send(grant.primary, '/chunk/write', {
      method: 'POST',
      token: grant.token,
      headers: json,
      body: JSON.stringify({
        handle: grant.handle,
        version: grant.version,
        offset: 0,
        dataId: 'good-push-01',
        length: patch.length,
        secondaries: grant.secondaries,
      }),
    });
    expect(written.status).toBe(200);
    const after = await client.readFile('/f');
    expect(after.subarray(MiB, MiB + 4096).equals(patch.subarray(0, 4096))).toBe(true);
  }, 120_000);

  it('lets an SDK client go on across the expiry of its tokens: reads, writes, appends and sync', async () => {
    const ttlMs = 1_500;
    cluster = await TestCluster.start({
      chunkservers: 3,
      chunkSize: '1MiB',
      // Leases (and the SDK's cached lease answers) outlive the tokens that came with them.
      lease: '30s',
      masterEnv: { GFS_TEST_CHUNK_TOKEN_TTL_MS: String(ttlMs) },
      chunkserverEnv: { GFS_TEST_CHUNK_TOKEN_SKEW_MS: '0' },
    });
    client = new GfsClient({ master: cluster.masterUrl });
    rpc = new AdminRpcClient();
    const data = seededBytes(MiB + 300_000, 3);
    await client.writeFile('/f', data);
    expect((await client.readFile('/f')).equals(data)).toBe(true);
    const located = await rpc.call(cluster.masterUrl, locateRoute, { path: '/f', index: 0, count: 1 });
    const chunk = located.chunks[0];
    if (chunk?.token === undefined) throw new Error('no token');
    const handle = await client.open('/g', 'w');
    await handle.write(seededBytes(500_000, 4), 0);
    await client.recordAppend('/log', Buffer.from('one'));

    await sleep(ttlMs + 1_000);
    // The token the SDK holds for chunk 0 (its location cache keeps it 30 s) is now refused...
    const stale = await send(chunk.replicas[0] as string, readPath(chunk.handle, chunk.version, 0, 10), {
      method: 'GET',
      token: chunk.token,
    });
    expect([stale.status, stale.code]).toEqual([403, 'TOKEN_EXPIRED']);
    // ...and the client asks the master again and goes on.
    expect((await client.readFile('/f')).equals(data)).toBe(true);
    await handle.sync();
    await handle.write(seededBytes(100_000, 6), 500_000);
    await handle.sync();
    await handle.close();
    const more = seededBytes(200_000, 5);
    await client.writeFile('/f', Buffer.concat([data, more]));
    await client.recordAppend('/log', Buffer.from('two'));
    const records: string[] = [];
    for await (const record of client.records('/log')) records.push(record.data.toString());
    expect(records).toEqual(['one', 'two']);
    expect((await client.readFile('/f')).equals(Buffer.concat([data, more]))).toBe(true);
    expect((await client.stat('/g')).size).toBe(600_000);
  }, 120_000);
});

describe('an --insecure cluster', () => {
  it('hands out no tokens and checks none', async () => {
    cluster = await TestCluster.start({
      chunkservers: 3,
      chunkSize: '1MiB',
      masterArgs: ['--insecure'],
      chunkserverArgs: ['--insecure'],
    });
    client = new GfsClient({ master: cluster.masterUrl });
    rpc = new AdminRpcClient();
    const data = seededBytes(300_000, 9);
    await client.writeFile('/f', data);
    expect((await client.readFile('/f')).equals(data)).toBe(true);
    const located = await rpc.call(cluster.masterUrl, locateRoute, { path: '/f', index: 0, count: 1 });
    const chunk = located.chunks[0];
    if (chunk === undefined) throw new Error('no chunk');
    expect(chunk.token).toBeUndefined();
    const reply = await send(chunk.replicas[0] as string, readPath(chunk.handle, chunk.version, 0, 4096), {
      method: 'GET',
    });
    expect(reply.status).toBe(200);
    expect(reply.body.equals(data.subarray(0, 4096))).toBe(true);
    const grant = await rpc.call(cluster.masterUrl, leaseRoute, { path: '/f', index: 0 });
    expect(grant.token).toBeUndefined();
  }, 60_000);
});

/** The token with one character of its claims changed: still well-formed, no longer signed. */
function alter(token: string): string {
  const [kind, claims, mac] = token.split('.') as [string, string, string];
  const flipped = claims.slice(0, 10) + (claims[10] === 'A' ? 'B' : 'A') + claims.slice(11);
  return `${kind}.${flipped}.${mac}`;
}
