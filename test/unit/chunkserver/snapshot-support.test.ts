// The chunkserver's part in snapshots: the local copy of a shared chunk (copy-on-write) and the
// lease revocation that waits for mutations the primary already ordered.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningChunkserver, startChunkserver } from '../../../chunkserver/main.js';
import { OrderedMutations } from '../../../chunkserver/mutation/ordered-mutations.js';
import { ChunkStore } from '../../../chunkserver/store/chunk-store.js';
import { RpcClient } from '../../../shared/http/client.js';
import { createRpcServer, listen, serveRoute } from '../../../shared/http/server.js';
import { CHECKSUM_BLOCK_BYTES } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import {
  applyBatchRoute,
  applyRoute,
  copyLocalRoute,
  grantRoute,
  pushPath,
  revokeRoute,
  writeRoute,
} from '../../../shared/protocol/data.js';
import { waitFor } from '../../harness/wait.js';
import { FakeMaster } from './fake-master.js';
import { codeOf, expectBytes, pattern } from './helpers.js';

const BLOCK = CHECKSUM_BLOCK_BYTES;

describe('ChunkStore.copyLocal', () => {
  let dir: string;
  let store: ChunkStore;

  const openStore = () => ChunkStore.open({ dataDir: dir, logger: silentLogger() });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gfs-copy-'));
    store = await openStore();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('copies bytes and version exactly; the two chunks then change apart; both survive a reopen', async () => {
    const data = pattern(3 * BLOCK + 777, 1);
    await store.setVersion('10', 4, true);
    await store.write('10', 0, [data], data.length);
    expect(await store.copyLocal('10', '11', 4)).toBe(data.length);
    expect(store.versionOf('11')).toBe(4);
    expectBytes(await store.read('11', 0, data.length), data);

    const patch = pattern(5000, 2);
    await store.write('11', BLOCK - 100, [patch], patch.length);
    await store.write('10', 0, [pattern(10, 3)], 10);
    const copy = Buffer.from(data);
    patch.copy(copy, BLOCK - 100);
    const original = Buffer.from(data);
    pattern(10, 3).copy(original);
    expectBytes(await store.read('11', 0, data.length), copy);
    expectBytes(await store.read('10', 0, data.length), original);

    await store.close();
    store = await openStore();
    expectBytes(await store.read('11', 0, data.length), copy);
    expectBytes(await store.read('10', 0, data.length), original);
    expect(store.reports().sort((a, b) => a.handle.localeCompare(b.handle))).toEqual([
      { handle: '10', version: 4, size: data.length },
      { handle: '11', version: 4, size: data.length },
    ]);
  });

  it('is idempotent: a retry answers the same length, concurrent orders share one copy', async () => {
    const data = pattern(BLOCK + 1, 4);
    await store.setVersion('20', 2, true);
    await store.write('20', 0, [data], data.length);
    const sizes = await Promise.all([store.copyLocal('20', '21', 2), store.copyLocal('20', '21', 2)]);
    expect(sizes).toEqual([data.length, data.length]);
    expect(await store.copyLocal('20', '21', 2)).toBe(data.length);
    // The copy at another version than asked is not this order's copy.
    expect(await codeOf(store.copyLocal('20', '21', 3))).toBe('ALREADY_EXISTS');
  });

  it('copies a chunk nothing was written to', async () => {
    await store.setVersion('30', 1, true);
    expect(await store.copyLocal('30', '31', 1)).toBe(0);
    expect(store.reports().find((report) => report.handle === '31')).toEqual({ handle: '31', version: 1, size: 0 });
  });

  it('refuses a source at another version or missing, and leaves nothing behind', async () => {
    await store.setVersion('40', 5, true);
    await store.write('40', 0, [pattern(100, 5)], 100);
    expect(await codeOf(store.copyLocal('40', '41', 4))).toBe('STALE_VERSION');
    expect(await codeOf(store.copyLocal('49', '42', 5))).toBe('CHUNK_NOT_FOUND');
    expect(await codeOf(store.copyLocal('40', '../x', 5))).toBe('INVALID_ARGUMENT');
    expect(
      (await readdir(join(dir, 'chunks'))).filter((name) => name.startsWith('41') || name.startsWith('42')),
    ).toEqual([]);
    expect(store.versionOf('41')).toBeUndefined();
  });

  it('keeps a corrupt block detectable in the copy (checksums are copied, not recomputed)', async () => {
    const data = pattern(2 * BLOCK, 6);
    await store.setVersion('50', 1, true);
    await store.write('50', 0, [data], data.length);
    await store.close();
    const damaged = Buffer.from(data);
    damaged[BLOCK + 3] = (damaged[BLOCK + 3] ?? 0) ^ 0xff;
    await writeFile(join(dir, 'chunks', '50'), damaged);
    store = await openStore();
    await store.copyLocal('50', '51', 1);
    expectBytes(await store.read('51', 0, BLOCK), data.subarray(0, BLOCK));
    expect(await codeOf(store.read('51', BLOCK, BLOCK))).toBe('CHECKSUM_MISMATCH');
  });
});

describe('OrderedMutations', () => {
  it('is drained at once with nothing ordered, once ordered work ends, and not before its bound', async () => {
    const ordered = new OrderedMutations();
    expect(await ordered.drained('1', 10)).toBe(true);
    let finish: () => void = () => undefined;
    const work = ordered.track(
      '1',
      new Promise<void>((resolve) => {
        finish = resolve;
      }),
    );
    ordered.track('1', Promise.reject(new Error('a failed mutation counts as ended'))).catch(() => undefined);
    expect(ordered.count('1')).toBe(2);
    expect(await ordered.drained('1', 20)).toBe(false);
    const drained = ordered.drained('1', 5_000);
    finish();
    await work;
    expect(await drained).toBe(true);
    expect(ordered.count('1')).toBe(0);
  });
});

describe('lease revocation on a real chunkserver', () => {
  const HANDLE = '777';
  let master: FakeMaster;
  let primary: RunningChunkserver | undefined;
  let dir: string;
  let rpc: RpcClient;
  const slowSecondary = createRpcServer(silentLogger());
  let releaseApplies: () => void = () => undefined;
  let appliesReleased = new Promise<void>((resolve) => {
    releaseApplies = resolve;
  });
  const appliesSeen: number[] = [];
  serveRoute(slowSecondary, applyRoute, async (body) => {
    appliesSeen.push(body.serial);
    await appliesReleased;
    return {};
  });
  serveRoute(slowSecondary, applyBatchRoute, async (body) => {
    appliesSeen.push(...body.mutations.map((mutation) => mutation.serial));
    await appliesReleased;
    return { results: body.mutations.map(() => null) };
  });

  beforeEach(async () => {
    master = new FakeMaster(1024 * 1024);
    await master.start();
    rpc = new RpcClient({ timeoutMs: 10_000 });
    dir = await mkdtemp(join(tmpdir(), 'gfs-revoke-'));
  });

  afterEach(async () => {
    releaseApplies();
    await primary?.close();
    await Promise.allSettled([master.close(), rpc.close(), slowSecondary.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('stops ordering mutations and answers only once those already ordered have ended on every replica', async () => {
    primary = await startChunkserver({
      masterUrl: master.url,
      host: '127.0.0.1',
      port: 0,
      dataDir: dir,
      rack: 'r1',
      heartbeatMs: 50,
      // Route behaviour under test; authentication has its own tests.
      insecure: true,
      logger: silentLogger(),
    });
    const secondary = await listen(slowSecondary, '127.0.0.1', 0);
    await waitFor('registration', () => master.registers.length === 1);
    const server = primary;
    await rpc.call(server.address, grantRoute, { handle: HANDLE, version: 1, create: true, leaseMs: 60_000 });
    const write = async (byte: number) => {
      const dataId = `revoke-test-${byte}`;
      const response = await rpc.request(server.address, {
        method: 'PUT',
        path: pushPath(dataId, []),
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(1000, byte),
      });
      await response.body.dump();
      return rpc.call(server.address, writeRoute, {
        handle: HANDLE,
        version: 1,
        offset: 0,
        dataId,
        length: 1000,
        secondaries: [secondary],
      });
    };
    const inFlight = write(1);
    await waitFor('the apply at the slow secondary', () => appliesSeen.length === 1);
    let revoked = false;
    const revoke = rpc.call(server.address, revokeRoute, { handle: HANDLE, version: 1 }).then(() => {
      revoked = true;
    });
    // The lease is gone at once: nothing new is ordered. (The probe names data never pushed, so
    // before the revoke it fails DATA_NOT_FOUND without ordering anything; after, NOT_PRIMARY.)
    const probe = () =>
      rpc.call(server.address, writeRoute, {
        handle: HANDLE,
        version: 1,
        offset: 0,
        dataId: 'never-pushed',
        length: 1,
        secondaries: [secondary],
      });
    await waitFor('the lease to go', async () => (await codeOf(probe())) === 'NOT_PRIMARY');
    expect(revoked).toBe(false);
    releaseApplies();
    expect((await inFlight).serial).toBe(1);
    await revoke;
    expect(appliesSeen).toEqual([1]);
    appliesReleased = Promise.resolve();
    // The copy order a snapshot's writer sends next works on the revoked chunk.
    const copied = await rpc.call(server.address, copyLocalRoute, { from: HANDLE, to: '778', version: 1 });
    expect(copied.sizeBytes).toBe(1000);
  });
});
