// Three real chunkservers on loopback with a fake master: grant → push along a chain → write to
// the primary → read back from every replica, and the ways that goes wrong.

import { mkdtemp, open, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningChunkserver, startChunkserver } from '../../../chunkserver/main.js';
import { GfsError } from '../../../shared/errors.js';
import { errorFromResponse, type RpcClient } from '../../../shared/http/client.js';
import { CHECKSUM_BLOCK_BYTES } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import {
  appendRoute,
  applyBatchRoute,
  grantRoute,
  type PushReply,
  pushPath,
  readPath,
  writeRoute,
} from '../../../shared/protocol/data.js';
import { ensureSecretFile } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { ChunkTokenRpc } from '../../harness/chunk-token-rpc.js';
import { freePort } from '../../harness/free-port.js';
import { waitFor } from '../../harness/wait.js';
import { FakeMaster } from './fake-master.js';
import { codeOf, expectBytes, pattern } from './helpers.js';

const CHUNK_BYTES = 1024 * 1024;
const HANDLE = '4242';

describe('chunkservers on loopback', () => {
  let master: FakeMaster;
  let servers: RunningChunkserver[] = [];
  let dirs: string[] = [];
  let rpc: RpcClient;
  /** The cluster secret the chunkservers, the fake master and the test's own orders share. */
  let secretFile: string;
  let secretDir: string;
  let dataIds = 0;

  async function startServer(dataDir?: string, pushBufferBytesMax?: number): Promise<RunningChunkserver> {
    const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'gfs-cs-')));
    if (dataDir === undefined) dirs.push(dir);
    const server = await startChunkserver(
      {
        masterUrl: master.url,
        host: '127.0.0.1',
        port: 0,
        dataDir: dir,
        rack: 'r1',
        heartbeatMs: 50,
        // Signed forwarding between real chunkservers, checked by each (docs/security-peer.md).
        secretFile,
        logger: silentLogger(),
      },
      { serialGapWaitMs: 200, pushBufferBytesMax },
    );
    servers.push(server);
    return server;
  }

  async function push(to: RunningChunkserver, chain: RunningChunkserver[], data: Buffer): Promise<string> {
    const dataId = `test-data-${++dataIds}`;
    const response = await rpc.request(to.address, {
      method: 'PUT',
      path: pushPath(
        dataId,
        chain.map((s) => s.address),
      ),
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
    if (response.statusCode !== 200) throw await errorFromResponse(response, to.address);
    const reply = (await response.body.json()) as PushReply;
    expect(reply.bytes).toBe(data.length);
    return dataId;
  }

  async function read(from: RunningChunkserver, version: number, offset: number, length: number): Promise<Buffer> {
    const response = await rpc.request(from.address, {
      method: 'GET',
      path: readPath(HANDLE, version, offset, length),
    });
    if (response.statusCode !== 200) throw await errorFromResponse(response, from.address);
    return Buffer.from(await response.body.arrayBuffer());
  }

  async function grantAll(primary: RunningChunkserver, secondaries: RunningChunkserver[], version: number) {
    await rpc.call(primary.address, grantRoute, { handle: HANDLE, version, create: true, leaseMs: 60_000 });
    for (const s of secondaries) await rpc.call(s.address, grantRoute, { handle: HANDLE, version, create: true });
  }

  beforeEach(async () => {
    secretDir = await mkdtemp(join(tmpdir(), 'gfs-secret-'));
    const secret = await ensureSecretFile(secretDir);
    secretFile = secret.path;
    const keys = deriveClusterKeys(secret.secret);
    master = new FakeMaster(CHUNK_BYTES, keys.peerRequest);
    await master.start();
    // The test gives the orders a master would (grants), signed as the master signs them, and
    // its data requests carry the chunk access tokens the master would have handed a client.
    rpc = new ChunkTokenRpc(keys.chunkToken, { timeoutMs: 10_000, peerKey: keys.peerRequest });
  });

  afterEach(async () => {
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled([master.close(), rpc.close()]);
    await Promise.allSettled([...dirs, secretDir].map((d) => rm(d, { recursive: true, force: true })));
    servers = [];
    dirs = [];
  });

  it('pushes along a chain, writes through the primary and reads back from every replica', async () => {
    const [a, b, c] = [await startServer(), await startServer(), await startServer()];
    if (a === undefined || b === undefined || c === undefined) throw new Error('servers did not start');
    await waitFor('registration', () => master.registers.length === 3);
    await grantAll(a, [b, c], 1);

    const data = pattern(3 * CHECKSUM_BLOCK_BYTES + 333, 5);
    const dataId = await push(b, [a, c], data);
    const reply = await rpc.call(a.address, writeRoute, {
      handle: HANDLE,
      version: 1,
      offset: 1000,
      dataId,
      length: data.length,
      secondaries: [b.address, c.address],
    });
    expect(reply.serial).toBe(1);
    for (const server of [a, b, c]) {
      const bytes = await read(server, 1, 0, 1000 + data.length + 500);
      expectBytes(bytes.subarray(0, 1000), Buffer.alloc(1000));
      expectBytes(bytes.subarray(1000, 1000 + data.length), data);
      expectBytes(bytes.subarray(1000 + data.length), Buffer.alloc(500));
    }
    // The data was consumed by the write.
    expect(
      await codeOf(
        rpc.call(a.address, writeRoute, {
          handle: HANDLE,
          version: 1,
          offset: 0,
          dataId,
          length: data.length,
          secondaries: [],
        }),
      ),
    ).toBe('DATA_NOT_FOUND');
    // A mutation asks for a lease extension in the next heartbeat, and full reports list the chunk.
    await waitFor('extension request', () => master.heartbeats.some((h) => h.extendLeases.includes(HANDLE)));
    await waitFor('chunk report', () =>
      master.heartbeats.some((h) => h.chunks?.some((r) => r.handle === HANDLE && r.size === 1000 + data.length)),
    );
  });

  it('applies many pipelined writes in serial order on every replica', async () => {
    const [a, b, c] = [await startServer(), await startServer(), await startServer()];
    if (a === undefined || b === undefined || c === undefined) throw new Error('servers did not start');
    await waitFor('registration', () => master.registers.length === 3);
    await grantAll(a, [b, c], 1);
    const pieces = Array.from({ length: 16 }, (_, i) => pattern(20_000 + i * 997, 100 + i));
    // Overlapping regions: the result is defined only if every replica applies in the same order.
    const offsets = pieces.map((_, i) => i * 15_000);
    const dataIds = await Promise.all(pieces.map((piece) => push(a, [b, c], piece)));
    const serials = await Promise.all(
      pieces.map((piece, i) =>
        rpc.call(a.address, writeRoute, {
          handle: HANDLE,
          version: 1,
          offset: offsets[i] ?? 0,
          dataId: dataIds[i] ?? '',
          length: piece.length,
          secondaries: [b.address, c.address],
        }),
      ),
    );
    const order = serials.map((s) => s.serial);
    expect([...order].sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const model = Buffer.alloc(16 * 15_000 + 40_000);
    const bySerial = pieces.map((piece, i) => ({ piece, offset: offsets[i] ?? 0, serial: order[i] ?? 0 }));
    for (const { piece, offset } of bySerial.sort((x, y) => x.serial - y.serial)) piece.copy(model, offset);
    const end = Math.max(...bySerial.map((w) => w.offset + w.piece.length));
    const expected = await read(a, 1, 0, end);
    expectBytes(expected, model.subarray(0, end));
    expectBytes(await read(b, 1, 0, end), expected);
    expectBytes(await read(c, 1, 0, end), expected);
  });

  it('record append: disjoint offsets for concurrent appends, padding and "next chunk" when full', async () => {
    const [a, b, c] = [await startServer(), await startServer(), await startServer()];
    if (a === undefined || b === undefined || c === undefined) throw new Error('servers did not start');
    await waitFor('registration', () => master.registers.length === 3);
    await grantAll(a, [b, c], 1);
    const append = async (data: Buffer, secondaries = [b, c]) =>
      rpc.call(a.address, appendRoute, {
        handle: HANDLE,
        version: 1,
        dataId: await push(a, secondaries, data),
        length: data.length,
        secondaries: secondaries.map((s) => s.address),
      });
    const records = Array.from({ length: 20 }, (_, i) => pattern(40_000 + i * 1_111, 300 + i));
    const offsets = (await Promise.all(records.map((record) => append(record)))).map((reply) => reply.offset ?? -1);
    const spans = records.map((record, i) => [offsets[i] ?? -1, (offsets[i] ?? -1) + record.length] as const);
    spans.sort((x, y) => x[0] - y[0]);
    expect(spans[0]?.[0]).toBe(0);
    for (let i = 1; i < spans.length; i++) expect(spans[i]?.[0]).toBe(spans[i - 1]?.[1]);
    const end = spans.at(-1)?.[1] ?? 0;
    for (const [i, record] of records.entries()) {
      for (const server of [a, b, c]) expectBytes(await read(server, 1, offsets[i] ?? 0, record.length), record);
    }
    // Fill the chunk until a record does not fit: the chunk is padded on every replica, offset null.
    let used = end;
    for (;;) {
      const record = pattern(CHUNK_BYTES / 4, used);
      const { offset } = await append(record);
      if (offset === null) break;
      expect(offset).toBe(used);
      used += record.length;
    }
    for (const server of [a, b, c]) {
      expectBytes(await read(server, 1, used, CHUNK_BYTES - used), Buffer.alloc(CHUNK_BYTES - used));
    }
    expect((await append(Buffer.from('small'))).offset).toBeNull();
    expect(await codeOf(append(Buffer.alloc(CHUNK_BYTES / 4 + 1)))).toBe('RECORD_TOO_LARGE');
  });

  it('batched applies report each mutation on its own', async () => {
    const [a, b] = [await startServer(), await startServer()];
    if (a === undefined || b === undefined) throw new Error('servers did not start');
    await waitFor('registration', () => master.registers.length === 2);
    await grantAll(a, [b], 1);
    const good = await push(b, [], Buffer.from('good bytes'));
    const reply = await rpc.call(b.address, applyBatchRoute, {
      mutations: [
        { handle: HANDLE, version: 1, offset: 0, dataId: good, length: 10, serial: 1 },
        { handle: HANDLE, version: 1, offset: 10, dataId: 'never-pushed-id', length: 5, serial: 2 },
      ],
    });
    expect(reply.results[0]).toBeNull();
    expect(reply.results[1]?.code).toBe('DATA_NOT_FOUND');
    expectBytes(await read(b, 1, 0, 10), Buffer.from('good bytes'));
  });

  it('refuses writes at the wrong version, without a lease, and reads at the wrong version', async () => {
    const [a, b] = [await startServer(), await startServer()];
    if (a === undefined || b === undefined) throw new Error('servers did not start');
    await waitFor('registration', () => master.registers.length === 2);
    await grantAll(a, [b], 3);
    const dataId = await push(a, [b], Buffer.from('hello world'));
    const write = (to: RunningChunkserver, version: number) =>
      rpc.call(to.address, writeRoute, {
        handle: HANDLE,
        version,
        offset: 0,
        dataId,
        length: 11,
        secondaries: [],
      });
    expect(await codeOf(write(a, 2))).toBe('STALE_VERSION');
    expect(await codeOf(write(b, 3))).toBe('NOT_PRIMARY');
    expect(await codeOf(read(b, 2, 0, 10))).toBe('STALE_VERSION');
    expect(await codeOf(rpc.call(a.address, grantRoute, { handle: HANDLE, version: 2, create: false }))).toBe(
      'STALE_VERSION',
    );
    // A grant without leaseMs ends the lease.
    await rpc.call(a.address, grantRoute, { handle: HANDLE, version: 4, create: false });
    expect(await codeOf(write(a, 4))).toBe('NOT_PRIMARY');
    expect(await codeOf(read(a, 4, CHUNK_BYTES - 10, 11))).toBe('INVALID_ARGUMENT');
  });

  it('names the failed address when a secondary or a chain member is down', async () => {
    const [a, b] = [await startServer(), await startServer()];
    if (a === undefined || b === undefined) throw new Error('servers did not start');
    await waitFor('registration', () => master.registers.length === 2);
    await grantAll(a, [b], 1);
    const dead = `127.0.0.1:${await freePort()}`;
    const failedPush = await push(a, [b, { address: dead } as RunningChunkserver], Buffer.alloc(5000, 7)).catch(
      (error: unknown) => error,
    );
    expect(failedPush).toBeInstanceOf(GfsError);
    expect((failedPush as GfsError).code).toBe('REPLICA_FAILED');
    expect((failedPush as GfsError).subject).toBe(dead);

    const dataId = await push(a, [b], Buffer.alloc(5000, 7));
    const failedWrite = await rpc
      .call(a.address, writeRoute, {
        handle: HANDLE,
        version: 1,
        offset: 0,
        dataId,
        length: 5000,
        secondaries: [b.address, dead],
      })
      .catch((error: unknown) => error);
    expect((failedWrite as GfsError).code).toBe('REPLICA_FAILED');
    expect((failedWrite as GfsError).subject).toBe(dead);
  });

  it('reports a corrupted replica to the master and refuses to serve it', async () => {
    const [a] = [await startServer()];
    if (a === undefined) throw new Error('server did not start');
    await waitFor('registration', () => master.registers.length === 1);
    await grantAll(a, [], 1);
    const dataId = await push(a, [], pattern(2 * CHECKSUM_BLOCK_BYTES, 3));
    await rpc.call(a.address, writeRoute, {
      handle: HANDLE,
      version: 1,
      offset: 0,
      dataId,
      length: 2 * CHECKSUM_BLOCK_BYTES,
      secondaries: [],
    });
    const dir = dirs[0] ?? '';
    const file = await open(join(dir, 'chunks', HANDLE), 'r+');
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, CHECKSUM_BLOCK_BYTES + 9);
    byte[0] = (byte[0] ?? 0) ^ 0x40;
    await file.write(byte, 0, 1, CHECKSUM_BLOCK_BYTES + 9);
    await file.close();
    expect(await codeOf(read(a, 1, 0, 100))).toBeUndefined();
    expect(await codeOf(read(a, 1, CHECKSUM_BLOCK_BYTES, 100))).toBe('CHECKSUM_MISMATCH');
    await waitFor('corruption report', () => master.corrupt.some((r) => r.id === a.id && r.handle === HANDLE));
    const metrics = await rpc.request(a.address, { method: 'GET', path: '/metrics' });
    expect(await metrics.body.text()).toMatch(/gfs_chunkserver_checksum_failures_total 1/);
  });

  it('waits for the master, keeps its identity, re-registers and deletes what the master says', async () => {
    const port = await freePort();
    await master.close();
    master = new FakeMaster(CHUNK_BYTES);
    const unreachableUrl = `http://127.0.0.1:${port}`;
    master.url = unreachableUrl;
    const a = await startServer();
    const health = await rpc.request(a.address, { method: 'GET', path: '/healthz' });
    expect(health.statusCode).toBe(503);
    await health.body.dump();
    // The master comes up late on the address the chunkserver was told.
    await master.start(port);
    expect(master.url).toBe(unreachableUrl);
    await waitFor('registration', () => master.registers.length === 1, 15_000);
    await waitFor('healthz', async () => {
      const response = await rpc.request(a.address, { method: 'GET', path: '/healthz' });
      await response.body.dump();
      return response.statusCode === 200;
    });
    await grantAll(a, [], 1);
    // A restarted master does not know the chunkserver: heartbeats make it register again.
    master.known.clear();
    await waitFor('re-registration', () => master.registers.length === 2);
    expect(master.registers[1]?.chunks).toEqual([{ handle: HANDLE, version: 1, size: 0 }]);
    master.pendingDeletes.set(a.id, [HANDLE]);
    await waitFor('deletion', async () => (await codeOf(read(a, 1, 0, 1))) === 'CHUNK_NOT_FOUND');
    // Same directory, another port: the same chunkserver.
    const dir = dirs[0] ?? '';
    await a.close();
    const again = await startServer(dir);
    expect(again.id).toBe(a.id);
    expect(again.address).not.toBe('');
  });

  it('refuses pushes that do not fit the buffer (BUSY) or the piece bound', async () => {
    const a = await startServer(undefined, 100_000);
    await push(a, [], Buffer.alloc(60_000));
    expect(await codeOf(push(a, [], Buffer.alloc(60_000)))).toBe('BUSY');
    const metrics = await rpc.request(a.address, { method: 'GET', path: '/metrics' });
    expect(await metrics.body.text()).toMatch(/gfs_chunkserver_push_buffer_bytes 60000/);
    // Refused from the header alone, before any of the body is read.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const [host, port] = a.address.split(':');
      const request = httpRequest({
        host,
        port: Number(port),
        method: 'PUT',
        path: pushPath('test-huge-1', []),
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(17 * 1024 * 1024),
          ...(rpc as ChunkTokenRpc).tokenHeader(HANDLE, 1, 'w'),
        },
      });
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode);
        request.destroy();
      });
      request.on('error', reject);
      request.write('x');
    });
    expect(status).toBe(400);
  });

  it('answers malformed data-path requests with 4xx', async () => {
    const a = await startServer();
    const probes: [string, string][] = [
      ['GET', '/chunk/01?version=1&offset=0&length=1'],
      ['GET', '/chunk/1?version=1&offset=-1&length=1'],
      ['GET', '/chunk/1?version=1&offset=0'],
      ['GET', '/chunk/1?version=1&offset=0&length=1&length=2'],
      ['GET', `/chunk/1?version=1&offset=0&length=${17 * 1024 * 1024}`],
      ['GET', '/chunk/1/../../etc/passwd?version=1&offset=0&length=1'],
      ['PUT', '/push/short'],
      ['PUT', '/push/abcdefgh12?chain=%2F%2Fevil%2Fpath'],
      ['GET', '/push/abcdefgh12'],
    ];
    for (const [method, path] of probes) {
      const response = await rpc.request(a.address, {
        method: method as 'GET',
        path,
        ...(method === 'PUT' ? { body: 'x', headers: { 'content-type': 'application/octet-stream' } } : {}),
      });
      await response.body.dump();
      expect([path, response.statusCode >= 400 && response.statusCode < 500]).toEqual([path, true]);
    }
    const chunkRead = await rpc.request(a.address, { method: 'GET', path: '/chunk/1?version=1&offset=0&length=1' });
    expect(chunkRead.statusCode).toBe(404);
    await chunkRead.body.dump();
  });
});
