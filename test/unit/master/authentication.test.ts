// The master's client authentication (master/http/authenticate.ts) on a real master: a secure
// master refuses requests without a valid client token and records who called; one run with
// --insecure asks for nothing and treats every caller as the superuser.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningMaster, startMaster } from '../../../master/main.js';
import { RpcClient } from '../../../shared/http/client.js';
import { silentLogger } from '../../../shared/log.js';
import { statusRoute } from '../../../shared/protocol/heartbeat.js';
import { mkdirRoute, statRoute } from '../../../shared/protocol/namespace.js';
import { codeOfAsync } from '../../harness/error-code.js';
import { testToken } from '../../harness/test-identity.js';

const running: Array<{ master: RunningMaster; dir: string }> = [];
const rpc = new RpcClient();

afterEach(async () => {
  for (const { master, dir } of running.splice(0)) {
    await master.close();
    await rm(dir, { recursive: true, force: true });
  }
});

async function start(insecure: boolean): Promise<RunningMaster> {
  const dir = await mkdtemp(join(tmpdir(), 'gfs-master-auth-'));
  const master = await startMaster({
    host: '127.0.0.1',
    port: 0,
    dataDir: dir,
    chunkSizeBytes: 1024 * 1024,
    replication: 1,
    leaseMs: 60_000,
    deadAfterMs: 10_000,
    trashRetentionMs: 0,
    startupWaitMs: 0,
    logger: silentLogger(),
    ...(insecure ? { insecure: true } : {}),
  });
  running.push({ master, dir });
  return master;
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe('client authentication at the master', () => {
  it('refuses a request without a valid token and serves one with', async () => {
    const master = await start(false);
    expect(await codeOfAsync(rpc.call(master.url, statusRoute, {}))).toBe('UNAUTHENTICATED');
    expect(
      await codeOfAsync(rpc.call(master.url, statRoute, { path: '/' }, statRoute.url, { authorization: 'x' })),
    ).toBe('UNAUTHENTICATED');
    const alice = bearer(testToken({ user: 'alice' }));
    expect((await rpc.call(master.url, statRoute, { path: '/' }, statRoute.url, alice)).owner).toBe('root');
    // Alice is no superuser: / is root's, 0755.
    expect(
      await codeOfAsync(rpc.call(master.url, mkdirRoute, { path: '/a', recursive: false }, mkdirRoute.url, alice)),
    ).toBe('PERMISSION_DENIED');
    const admin = bearer(testToken({ user: 'ops', groups: ['wheel'], superuser: true }));
    await rpc.call(master.url, mkdirRoute, { path: '/a', recursive: false }, mkdirRoute.url, admin);
    expect(await rpc.call(master.url, statRoute, { path: '/a' }, statRoute.url, alice)).toMatchObject({
      owner: 'ops',
      group: 'wheel',
    });
  });

  it('asks nothing under --insecure, where every caller is root', async () => {
    const master = await start(true);
    await rpc.call(master.url, mkdirRoute, { path: '/free', recursive: false });
    expect(await rpc.call(master.url, statRoute, { path: '/free' })).toMatchObject({ owner: 'root', group: 'root' });
  });
});
