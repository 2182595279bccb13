// Inline writes and batched grants on three real chunkservers with a fake master: a batch creates
// chunks (the primary's with its lease) in one request per server; a small write travels in the
// write request itself, the primary forwarding the bytes with its applies; damaged bodies are
// refused before anything is applied, and a damaged apply still takes its serial's turn.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningChunkserver, startChunkserver } from '../../../chunkserver/main.js';
import { writeInline } from '../../../client/sdk/chunk-write.js';
import type { SdkDeps } from '../../../client/sdk/deps.js';
import type { LeaseReply } from '../../../client/sdk/master-api.js';
import { crc32cOf } from '../../../shared/checksum.js';
import { errorFromResponse, type RpcClient } from '../../../shared/http/client.js';
import { CHECKSUM_BLOCK_BYTES, INLINE_WRITE_BYTES_MAX } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import {
  applyInlinePath,
  BODY_CRC_HEADER,
  grantBatchRoute,
  readPath,
  writeInlinePath,
} from '../../../shared/protocol/data.js';
import { ensureSecretFile } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { ChunkTokenRpc } from '../../harness/chunk-token-rpc.js';
import { waitFor } from '../../harness/wait.js';
import { FakeMaster } from './fake-master.js';
import { codeOf, expectBytes, pattern } from './helpers.js';

const CHUNK_BYTES = 1024 * 1024;

describe('inline writes and batched grants', () => {
  let master: FakeMaster;
  let servers: RunningChunkserver[] = [];
  let dirs: string[] = [];
  let rpc: RpcClient;
  /** The cluster secret the chunkservers, the fake master and the test's own orders share. */
  let secretFile: string;
  let secretDir: string;

  async function startServers(count: number, serialGapWaitMs = 200): Promise<RunningChunkserver[]> {
    for (let i = 0; i < count; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'gfs-inline-'));
      dirs.push(dir);
      const server = await startChunkserver(
        {
          masterUrl: master.url,
          host: '127.0.0.1',
          port: 0,
          dataDir: dir,
          rack: '',
          heartbeatMs: 50,
          // Signed forwarding between real chunkservers, checked by each (docs/security-peer.md).
          secretFile,
          logger: silentLogger(),
        },
        { serialGapWaitMs },
      );
      servers.push(server);
    }
    await waitFor('registration', () => master.registers.length === count);
    return servers;
  }

  /** Creates `handles` at version 1 on every server in one batch each; `primary` gets the leases. */
  async function grantBatch(primary: RunningChunkserver, secondaries: RunningChunkserver[], handles: string[]) {
    const results = await Promise.all([
      rpc.call(primary.address, grantBatchRoute, {
        grants: handles.map((handle) => ({ handle, version: 1, create: true, leaseMs: 60_000 })),
      }),
      ...secondaries.map((s) =>
        rpc.call(s.address, grantBatchRoute, {
          grants: handles.map((handle) => ({ handle, version: 1, create: true })),
        }),
      ),
    ]);
    for (const { results: outcomes } of results) expect(outcomes).toEqual(handles.map(() => null));
  }

  function lease(handle: string, primary: RunningChunkserver, secondaries: RunningChunkserver[], version = 1) {
    return {
      handle,
      version,
      primary: primary.address,
      secondaries: secondaries.map((s) => s.address),
      leaseMs: 60_000,
      chunkSize: CHUNK_BYTES,
    } satisfies LeaseReply;
  }

  function deps(): SdkDeps {
    return { rpc } as unknown as SdkDeps;
  }

  async function read(from: RunningChunkserver, handle: string, offset: number, length: number): Promise<Buffer> {
    const response = await rpc.request(from.address, { method: 'GET', path: readPath(handle, 1, offset, length) });
    if (response.statusCode !== 200) throw await errorFromResponse(response, from.address);
    return Buffer.from(await response.body.arrayBuffer());
  }

  /** A raw PUT of `body` to a chunkserver, claiming `crc` as its checksum. */
  async function put(to: RunningChunkserver, path: string, body: Buffer, crc: number): Promise<unknown> {
    const response = await rpc.request(to.address, {
      method: 'PUT',
      path,
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        [BODY_CRC_HEADER]: String(crc),
      },
      body,
    });
    if (response.statusCode >= 400) throw await errorFromResponse(response, to.address);
    return response.body.json();
  }

  beforeEach(async () => {
    secretDir = await mkdtemp(join(tmpdir(), 'gfs-secret-'));
    const secret = await ensureSecretFile(secretDir);
    secretFile = secret.path;
    const keys = deriveClusterKeys(secret.secret);
    master = new FakeMaster(CHUNK_BYTES, keys.peerRequest);
    await master.start();
    // The test gives the orders a master would (grants), signed as the master signs them.
    // Orders signed as the master signs them; data requests with the tokens it would hand out.
    rpc = new ChunkTokenRpc(keys.chunkToken, { timeoutMs: 20_000, peerKey: keys.peerRequest });
  });

  afterEach(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled([master.close(), rpc.close()]);
    await Promise.allSettled([...dirs, secretDir].map((d) => rm(d, { recursive: true, force: true })));
    servers = [];
    dirs = [];
  });

  it('lands a small write on every replica in one request, ordered with others in flight', async () => {
    const [a, b, c] = await startServers(3);
    if (a === undefined || b === undefined || c === undefined) throw new Error('servers did not start');
    await grantBatch(a, [b, c], ['11', '12']);
    const grant = lease('11', a, [b, c]);
    // Overlapping writes in flight at once: every replica applies them in the primary's order.
    const writes = Array.from({ length: 24 }, (_, i) => ({ offset: (i % 6) * 1000, data: pattern(3000, i + 1) }));
    await Promise.all(writes.map(({ offset, data }) => writeInline(deps(), grant, offset, data)));
    const first = await read(a, '11', 0, 8000);
    for (const server of [b, c]) expectBytes(await read(server, '11', 0, 8000), first);
    // The largest inline write, across checksum blocks, lands whole.
    const big = pattern(INLINE_WRITE_BYTES_MAX, 99);
    await writeInline(deps(), lease('12', a, [b, c]), CHECKSUM_BLOCK_BYTES - 7, big);
    for (const server of [a, b, c]) expectBytes(await read(server, '12', CHECKSUM_BLOCK_BYTES - 7, big.length), big);
  });

  it('refuses a damaged body, a wrong version, no lease and a dead secondary, taking no serial', async () => {
    // A serial taken and not sent would hold the next write for this long: past the test's timeout.
    const [a, b, c] = await startServers(3, 600_000);
    if (a === undefined || b === undefined || c === undefined) throw new Error('servers did not start');
    await grantBatch(a, [b, c], ['21']);
    const data = pattern(4096, 7);
    const path = writeInlinePath('21', 1, 0, [b.address, c.address]);
    expect(await codeOf(put(a, path, data, crc32cOf(data) ^ 1))).toBe('REPLICA_FAILED');
    expect(await codeOf(writeInline(deps(), lease('21', a, [b, c], 2), 0, data))).toBe('STALE_VERSION');
    expect(await codeOf(writeInline(deps(), lease('21', b, [a, c]), 0, data))).toBe('NOT_PRIMARY');
    expect(await codeOf(put(a, path, pattern(INLINE_WRITE_BYTES_MAX + 1, 1), 0))).toBe('INVALID_ARGUMENT');
    // None of those took a serial: the next write applies at once on every replica.
    await writeInline(deps(), lease('21', a, [b, c]), 0, data);
    for (const server of [a, b, c]) expectBytes(await read(server, '21', 0, 4096), data);
    // A secondary that is gone is named in the failure.
    await c.close();
    const failure = writeInline(deps(), lease('21', a, [b, c]), 0, data);
    await expect(failure).rejects.toMatchObject({ code: 'REPLICA_FAILED', subject: c.address });
  });

  it('lets an apply whose bytes arrived damaged take its turn, so the next serial does not wait', async () => {
    // A gap that never fills would hold serial 2 for this long: far past the test's own timeout.
    const [a, b] = await startServers(2, 600_000);
    if (a === undefined || b === undefined) throw new Error('servers did not start');
    await grantBatch(a, [b], ['31']);
    const data = pattern(1000, 5);
    expect(await codeOf(put(b, applyInlinePath('31', 1, 0, 1), data, crc32cOf(data) ^ 1))).toBe('REPLICA_FAILED');
    await put(b, applyInlinePath('31', 1, 0, 2), data, crc32cOf(data));
    expectBytes(await read(b, '31', 0, 1000), data);
  });
});
