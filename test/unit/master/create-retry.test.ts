// A create whose answer was lost (the master restarted, the connection broke after the request
// went out) is sent again by the SDK with the same createId, and the master answers it with the
// file the first attempt made, before and after a restart, instead of ALREADY_EXISTS. Any other
// create of an existing path is still refused.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MasterApi } from '../../../client/sdk/master-api.js';
import { type RunningMaster, startMaster } from '../../../master/main.js';
import { RpcClient } from '../../../shared/http/client.js';
import { silentLogger } from '../../../shared/log.js';
import { createRoute, deleteRoute, mkdirRoute, statRoute } from '../../../shared/protocol/namespace.js';
import { AdminRpcClient } from '../../harness/admin-rpc.js';

const dirs: string[] = [];
const closers: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function master(dataDir: string): Promise<RunningMaster> {
  const running = await startMaster({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    chunkSizeBytes: 1024 * 1024,
    replication: 3,
    leaseMs: 60_000,
    deadAfterMs: 10_000,
    trashRetentionMs: 0,
    startupWaitMs: 0,
    logger: silentLogger(),
  });
  closers.push(() => running.close());
  return running;
}

function rpcClient(): AdminRpcClient {
  const rpc = new AdminRpcClient();
  closers.push(() => rpc.close());
  return rpc;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gfs-create-retry-'));
  dirs.push(dir);
  return dir;
}

/**
 * An HTTP proxy to `target` that passes every request and answer through, except that it drops
 * the connection instead of answering the first /ns/create, after the master answered it.
 */
async function answerLosingProxy(target: string): Promise<{ address: string; createsSeen: () => number }> {
  const [host, port] = target.split(':');
  let creates = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = httpRequest(
      { host, port: Number(port), method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (incoming.url === '/ns/create' && ++creates === 1) {
            incoming.socket.destroy();
            return;
          }
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          outgoing.end(Buffer.concat(chunks));
        });
      },
    );
    upstream.on('error', () => incoming.socket.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  const { port: proxyPort } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${proxyPort}`, createsSeen: () => creates };
}

describe('a retried create', () => {
  it('with the same createId gets the file its first attempt made, also after a restart', async () => {
    const dir = await tempDir();
    let running = await master(dir);
    const rpc = rpcClient();
    const first = await rpc.call(running.address, createRoute, {
      path: '/f',
      overwrite: false,
      createId: 'attempt-one',
    });
    const again = await rpc.call(running.address, createRoute, {
      path: '/f',
      overwrite: false,
      createId: 'attempt-one',
    });
    expect(again).toEqual(first);
    for (const other of [{ createId: 'someone-else' }, {}]) {
      await expect(
        rpc.call(running.address, createRoute, { path: '/f', overwrite: false, ...other }),
      ).rejects.toMatchObject({ code: 'ALREADY_EXISTS', subject: '/f' });
    }
    // The path's file went and a directory took its place: no longer the answer to that create.
    await rpc.call(running.address, createRoute, { path: '/g', overwrite: false, createId: 'attempt-two' });
    await rpc.call(running.address, deleteRoute, { path: '/g', recursive: false });
    await rpc.call(running.address, mkdirRoute, { path: '/g', recursive: false });
    await expect(
      rpc.call(running.address, createRoute, { path: '/g', overwrite: false, createId: 'attempt-two' }),
    ).rejects.toMatchObject({ code: 'IS_A_DIRECTORY' });

    // The ids come back with the log: a retry that outlives the master still finds its file.
    await running.close();
    running = await master(dir);
    const afterRestart = await rpc.call(running.address, createRoute, {
      path: '/f',
      overwrite: false,
      createId: 'attempt-one',
    });
    expect(afterRestart).toEqual(first);
    await expect(
      rpc.call(running.address, createRoute, { path: '/f', overwrite: false, createId: 'someone-else' }),
    ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
  });

  it('the SDK sends a create again when its answer is lost, and gets the file, not ALREADY_EXISTS', async () => {
    const running = await master(await tempDir());
    const proxy = await answerLosingProxy(running.address);
    const transport = new RpcClient();
    closers.push(() => transport.close());
    const api = new MasterApi(transport, proxy.address, { token: process.env.GFS_TOKEN ?? '' });
    // A master that has answered once: a broken connection now means a restart, worth waiting out.
    await api.stat('/');
    const created = await api.create('/lost-answer', false, { mode: 0o600 });
    expect(proxy.createsSeen()).toBe(2);
    expect(created).toMatchObject({ path: '/lost-answer', type: 'file', size: 0, mode: 0o600 });
    expect(await rpcClient().call(running.address, statRoute, { path: '/lost-answer' })).toMatchObject({
      mode: 0o600,
    });
  });
});
