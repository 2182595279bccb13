// POST /chunk/truncate on three real chunkservers with a fake master: the primary orders the cut
// with the chunk's writes by serial number and every replica ends up with the same bytes; a later
// record append continues from the cut; refusals (no lease, wrong version, past the chunk) take
// no serial, so the writes after them still go through.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningChunkserver, startChunkserver } from '../../../chunkserver/main.js';
import { errorFromResponse, type RpcClient } from '../../../shared/http/client.js';
import { silentLogger } from '../../../shared/log.js';
import {
  appendRoute,
  chunkTruncateRoute,
  grantRoute,
  type PushReply,
  pushPath,
  readPath,
  writeRoute,
} from '../../../shared/protocol/data.js';
import { ensureSecretFile } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { ChunkTokenRpc } from '../../harness/chunk-token-rpc.js';
import { waitFor } from '../../harness/wait.js';
import { FakeMaster } from './fake-master.js';
import { codeOf, expectBytes, pattern } from './helpers.js';

const CHUNK_BYTES = 1024 * 1024;
const HANDLE = '77';

describe('/chunk/truncate', () => {
  let master: FakeMaster;
  let servers: RunningChunkserver[] = [];
  const dirs: string[] = [];
  let rpc: RpcClient;
  let dataIds = 0;

  beforeEach(async () => {
    // The cluster secret the chunkservers, the fake master and the test's own orders share: the
    // cut's forwarding to secondaries is signed and checked as in a real cluster.
    const secretDir = await mkdtemp(join(tmpdir(), 'gfs-secret-'));
    dirs.push(secretDir);
    const secret = await ensureSecretFile(secretDir);
    const keys = deriveClusterKeys(secret.secret);
    master = new FakeMaster(CHUNK_BYTES, keys.peerRequest);
    await master.start();
    // Orders signed as the master signs them; data requests with the tokens it would hand out.
    rpc = new ChunkTokenRpc(keys.chunkToken, { timeoutMs: 10_000, peerKey: keys.peerRequest }, HANDLE);
    for (let i = 0; i < 3; i++) {
      const dir = await mkdtemp(join(tmpdir(), 'gfs-cs-truncate-'));
      dirs.push(dir);
      servers.push(
        await startChunkserver(
          {
            masterUrl: master.url,
            host: '127.0.0.1',
            port: 0,
            dataDir: dir,
            rack: '',
            heartbeatMs: 50,
            secretFile: secret.path,
            logger: silentLogger(),
          },
          { serialGapWaitMs: 200 },
        ),
      );
    }
    await waitFor('registration', () => master.registers.length === 3);
  });

  afterEach(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled([master.close(), rpc.close()]);
    await Promise.allSettled(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    servers = [];
  });

  const trio = () => servers as [RunningChunkserver, RunningChunkserver, RunningChunkserver];

  async function grant(version: number): Promise<void> {
    const [a, b, c] = trio();
    await rpc.call(a.address, grantRoute, { handle: HANDLE, version, create: true, leaseMs: 60_000 });
    for (const s of [b, c]) await rpc.call(s.address, grantRoute, { handle: HANDLE, version, create: true });
  }

  async function write(offset: number, data: Buffer) {
    const [a, b, c] = trio();
    const dataId = `truncate-test-${++dataIds}`;
    const response = await rpc.request(a.address, {
      method: 'PUT',
      path: pushPath(dataId, [b.address, c.address]),
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    if (response.statusCode !== 200) throw await errorFromResponse(response, a.address);
    expect(((await response.body.json()) as PushReply).bytes).toBe(data.length);
    return {
      dataId,
      reply: rpc.call(a.address, writeRoute, {
        handle: HANDLE,
        version: 1,
        offset,
        dataId,
        length: data.length,
        secondaries: [b.address, c.address],
      }),
    };
  }

  function cut(offset: number, version = 1, to = trio()[0]) {
    const [, b, c] = trio();
    return rpc.call(to.address, chunkTruncateRoute, {
      handle: HANDLE,
      version,
      offset,
      secondaries: [b.address, c.address].filter((address) => address !== to.address),
    });
  }

  async function readAll(length: number): Promise<Buffer[]> {
    return Promise.all(
      trio().map(async (server) => {
        const response = await rpc.request(server.address, { method: 'GET', path: readPath(HANDLE, 1, 0, length) });
        if (response.statusCode !== 200) throw await errorFromResponse(response, server.address);
        return Buffer.from(await response.body.arrayBuffer());
      }),
    );
  }

  it('orders the cut with writes in flight by serial; every replica holds the same bytes', async () => {
    await grant(1);
    const before = pattern(300_000, 1);
    await (await write(0, before)).reply;
    // Pushed first, then the three mutations race to the primary: whatever order it picks, a
    // write ordered before the cut is cut with it and one ordered after it stays whole.
    const writes = [await write(150_000, pattern(100_000, 2)), await write(250_000, pattern(5_000, 3))];
    const [w1, c, w2] = await Promise.all([writes[0]?.reply, cut(200_000), writes[1]?.reply]);
    const ops = [
      { serial: w1?.serial ?? 0, apply: (m: Buffer) => pattern(100_000, 2).copy(m, 150_000) },
      { serial: c.serial, apply: (m: Buffer) => m.fill(0, 200_000) },
      { serial: w2?.serial ?? 0, apply: (m: Buffer) => pattern(5_000, 3).copy(m, 250_000) },
    ];
    expect(ops.map((op) => op.serial).sort()).toEqual([2, 3, 4]);
    const model = Buffer.alloc(300_000);
    before.copy(model);
    for (const op of ops.sort((x, y) => x.serial - y.serial)) op.apply(model);
    for (const bytes of await readAll(300_000)) expectBytes(bytes, model);
  });

  it('a record append after the cut lands at the cut', async () => {
    await grant(1);
    await (await write(0, pattern(100_000, 4))).reply;
    await cut(1_000);
    const [a, b, c] = trio();
    const record = pattern(500, 5);
    const dataId = `truncate-append-${++dataIds}`;
    const pushed = await rpc.request(a.address, {
      method: 'PUT',
      path: pushPath(dataId, [b.address, c.address]),
      headers: { 'content-type': 'application/octet-stream' },
      body: record,
    });
    expect(pushed.statusCode).toBe(200);
    await pushed.body.text();
    const { offset } = await rpc.call(a.address, appendRoute, {
      handle: HANDLE,
      version: 1,
      dataId,
      length: record.length,
      secondaries: [b.address, c.address],
    });
    expect(offset).toBe(1_000);
    for (const bytes of await readAll(1_500)) expectBytes(bytes.subarray(1_000), record);
  });

  it('refuses without a lease, at another version, or past the chunk, taking no serial', async () => {
    await grant(1);
    const [, b] = trio();
    expect(await codeOf(cut(10, 1, b))).toBe('NOT_PRIMARY');
    expect(await codeOf(cut(10, 2))).toBe('STALE_VERSION');
    expect(await codeOf(cut(CHUNK_BYTES + 1))).toBe('INVALID_ARGUMENT');
    // No gap was left in the serial order: the next write is serial 1 and applies everywhere.
    const data = pattern(1_000, 6);
    expect((await (await write(0, data)).reply).serial).toBe(1);
    for (const bytes of await readAll(1_000)) expectBytes(bytes, data);
  });
});
