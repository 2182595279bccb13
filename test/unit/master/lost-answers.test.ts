// Calls whose answer was lost (the master restarted, the connection broke after the request went
// out) and that cannot simply be sent again. A create is sent again with the same createId, and
// the master answers it with the file the first attempt made, before and after a restart, instead
// of ALREADY_EXISTS; any other create of an existing path is still refused. A rename or delete is
// sent again, and its path being gone then is the answer.

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
 * the connection instead of answering the first request to `url`, after the master answered it.
 */
async function answerLosingProxy(target: string, url: string): Promise<{ address: string; seen: () => number }> {
  const [host, port] = target.split(':');
  let seen = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = httpRequest(
      { host, port: Number(port), method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (incoming.url === url && ++seen === 1) {
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
  return { address: `127.0.0.1:${proxyPort}`, seen: () => seen };
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
    const { api, proxy, masterAddress } = await behindProxy('/ns/create');
    const created = await api.create('/lost-answer', false, { mode: 0o600 });
    expect(proxy.seen()).toBe(2);
    expect(created).toMatchObject({ path: '/lost-answer', type: 'file', size: 0, mode: 0o600 });
    expect(await rpcClient().call(masterAddress, statRoute, { path: '/lost-answer' })).toMatchObject({ mode: 0o600 });
  });
});

describe('a rename or delete whose answer is lost', () => {
  it('is sent again, and the path being gone then is its answer', async () => {
    const renamed = await behindProxy('/ns/rename');
    const rpc = rpcClient();
    await rpc.call(renamed.masterAddress, createRoute, { path: '/from', overwrite: false });
    await renamed.api.rename('/from', '/to');
    expect(renamed.proxy.seen()).toBe(2);
    expect(await rpc.call(renamed.masterAddress, statRoute, { path: '/to' })).toMatchObject({ type: 'file' });

    const deleted = await behindProxy('/ns/delete');
    await rpc.call(deleted.masterAddress, createRoute, { path: '/doomed', overwrite: false });
    await deleted.api.delete('/doomed', false);
    expect(deleted.proxy.seen()).toBe(2);
    await expect(rpc.call(deleted.masterAddress, statRoute, { path: '/doomed' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('still fails when what is missing is not its path', async () => {
    const renamed = await behindProxy('/ns/rename');
    await rpcClient().call(renamed.masterAddress, createRoute, { path: '/here', overwrite: false });
    // The destination's directory does not exist: NOT_FOUND names it, so the rename did not happen.
    await expect(renamed.api.rename('/here', '/nowhere/there')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(renamed.proxy.seen()).toBe(2);
  });
});

/** A master of its own, and an SDK MasterApi reaching it through a proxy that loses `url`'s first answer. */
async function behindProxy(url: string) {
  const running = await master(await tempDir());
  const proxy = await answerLosingProxy(running.address, url);
  const transport = new RpcClient();
  closers.push(() => transport.close());
  const api = new MasterApi(transport, proxy.address, { token: process.env.GFS_TOKEN ?? '' });
  // A master that has answered once: a broken connection now means a restart, worth waiting out.
  await api.stat('/');
  return { api, proxy, masterAddress: running.address };
}
