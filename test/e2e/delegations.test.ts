// Directory delegations at a real master process (shared/protocol/delegations.ts): a holder takes
// a directory; another client's request in it is answered DELEGATED and recalls it, which the
// holder's long-poll hears at once; the holder's own requests (its header) pass; once it returns
// the delegation the other client passes and sees what the holder made. Renewals report held,
// recalled and lost. A SIGKILLed and restarted master still refuses others until the holder
// returns the delegation or it expires. Every route that takes a client path runs the check (and
// a refused request changes nothing). A long-poll ends when the master stops or its client leaves,
// and leaves nothing behind.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningMaster, startMaster } from '../../master/main.js';
import { GfsError } from '../../shared/errors.js';
import { RpcClient } from '../../shared/http/client.js';
import type { BodyOf, RouteDef } from '../../shared/http/route.js';
import { DELEGATION_TERM_MS } from '../../shared/limits.js';
import { silentLogger } from '../../shared/log.js';
import { appendLeaseRoute, fileChunksRoute, leaseRoute, locateRoute } from '../../shared/protocol/chunks.js';
import {
  delegateRoute,
  delegationRecallsRoute,
  delegationRenewRoute,
  delegationReturnRoute,
  HOLDER_HEADER,
} from '../../shared/protocol/delegations.js';
import {
  chmodRoute,
  chownRoute,
  createRoute,
  deleteRoute,
  extendRoute,
  listRoute,
  lookupRoute,
  mkdirRoute,
  renameRoute,
  reserveAppendRoute,
  restoreRoute,
  snapshotRoute,
  statfsRoute,
  statRoute,
  trashRoute,
  truncateRoute,
  utimesRoute,
} from '../../shared/protocol/namespace.js';
import { AdminRpcClient, adminHeaders } from '../harness/admin-rpc.js';
import { TestCluster } from '../harness/cluster.js';
import { codeOfAsync } from '../harness/error-code.js';
import { parsePrometheusText, sampleValue } from '../harness/prometheus.js';
import { testToken } from '../harness/test-identity.js';
import { waitFor } from '../harness/wait.js';

const A = 'holder-aaaa-1';
const OTHER_HOLDER = 'holder-bbbb-2';

/** The headers of a request from holder `holder` (the tests' superuser token, as every client here). */
function asHolder(holder: string): Record<string, string> {
  return { ...adminHeaders(), [HOLDER_HEADER]: holder };
}

describe('directory delegations at a real master', () => {
  let cluster: TestCluster | undefined;
  let rpc: AdminRpcClient | undefined;

  afterEach(async () => {
    await rpc?.close();
    await cluster?.stop();
    rpc = undefined;
    cluster = undefined;
  });

  /** A master without chunkservers (nothing here writes data), and a client of it. */
  async function start(): Promise<{ client: AdminRpcClient; master: string; cluster: TestCluster }> {
    cluster = await TestCluster.start({ chunkservers: 0 });
    rpc = new AdminRpcClient();
    return { client: rpc, master: cluster.masterUrl, cluster };
  }

  it('refuses and recalls others, lets the holder through, and lets others in once it is returned', async () => {
    const { client, master } = await start();
    const holder = asHolder(A);
    await client.call(master, mkdirRoute, { path: '/d', recursive: false });
    await client.call(master, mkdirRoute, { path: '/other', recursive: false });
    await client.call(master, createRoute, { path: '/d/x', overwrite: false });

    const before = Date.now();
    const grant = await client.call(master, delegateRoute, { path: '/d/', holder: A }, undefined, holder);
    expect(grant.granted).toBe(true);
    expect(grant.names).toEqual(['x']);
    expect(grant.expiresAtMs).toBeGreaterThanOrEqual(before + DELEGATION_TERM_MS);
    expect(grant.expiresAtMs).toBeLessThanOrEqual(Date.now() + DELEGATION_TERM_MS);
    // Held by A: nobody else gets it; `/` and files are never delegated.
    expect(await client.call(master, delegateRoute, { path: '/d', holder: OTHER_HOLDER })).toMatchObject({
      granted: false,
      names: [],
    });
    expect((await client.call(master, delegateRoute, { path: '/', holder: OTHER_HOLDER })).granted).toBe(false);
    expect((await client.call(master, delegateRoute, { path: '/d/x', holder: OTHER_HOLDER })).granted).toBe(false);

    // The holder's own requests pass, its long-poll waits while nothing is recalled.
    const recalls = client.call(master, delegationRecallsRoute, { holder: A, waitMs: 30_000 }, undefined, holder);
    await client.call(master, createRoute, { path: '/d/y', overwrite: false }, undefined, holder);
    expect((await client.call(master, lookupRoute, { path: '/d/x' }, undefined, holder)).entry?.type).toBe('file');

    // Another client (no header, or another holder's) is refused and recalls it.
    const refused = client.call(master, lookupRoute, { path: '/d/x' }).catch((error: unknown) => error);
    const error = await refused;
    expect(error).toBeInstanceOf(GfsError);
    expect(error).toMatchObject({ code: 'DELEGATED', httpStatus: 503, subject: '/d' });
    expect(await recalls).toEqual({ recalled: ['/d'] });
    const metrics = parsePrometheusText(await (await fetch(`${master}/metrics`)).text());
    expect(sampleValue(metrics, 'gfs_master_delegation_recalls_total')).toBe(1);
    expect(sampleValue(metrics, 'gfs_master_delegations')).toBe(1);
    expect(await codeOfAsync(client.call(master, listRoute, { path: '/d' }, undefined, asHolder(OTHER_HOLDER)))).toBe(
      'DELEGATED',
    );
    expect(await codeOfAsync(client.call(master, renameRoute, { from: '/other', to: '/d/z' }))).toBe('DELEGATED');
    // Beside it, and its parent's listing, are not its business.
    expect((await client.call(master, lookupRoute, { path: '/other' })).entry?.type).toBe('dir');
    expect((await client.call(master, listRoute, { path: '/' })).entries.map((entry) => entry.name)).toContain('d');
    // Recalled: asked again, the long-poll answers at once; the holder may not take it anew.
    expect(await client.call(master, delegationRecallsRoute, { holder: A, waitMs: 30_000 }, undefined, holder)).toEqual(
      { recalled: ['/d'] },
    );
    expect((await client.call(master, delegateRoute, { path: '/d', holder: A }, undefined, holder)).granted).toBe(
      false,
    );

    const renewed = await client.call(master, delegationRenewRoute, { holder: A, paths: ['/d', '/other'] });
    expect(renewed).toMatchObject({ held: ['/d'], recalled: ['/d'], lost: ['/other'] });
    expect(renewed.expiresAtMs).toBeGreaterThan(grant.expiresAtMs - 1);

    await client.call(master, delegationReturnRoute, { holder: A, path: '/d' }, undefined, holder);
    const seen = await client.call(master, listRoute, { path: '/d' });
    expect(seen.entries.map((entry) => entry.name)).toEqual(['x', 'y']);
    expect(await client.call(master, delegationRenewRoute, { holder: A, paths: ['/d'] })).toMatchObject({
      held: [],
      recalled: [],
      lost: ['/d'],
    });
    // Returning again is a no-op; nobody is waiting for anything.
    await client.call(master, delegationReturnRoute, { holder: A, path: '/d' });
    expect(await client.call(master, delegationRecallsRoute, { holder: A, waitMs: 50 }, undefined, holder)).toEqual({
      recalled: [],
    });
    // Returned after a recall, it is not granted again at once: the recalling client goes first.
    expect((await client.call(master, delegateRoute, { path: '/d', holder: A }, undefined, holder)).granted).toBe(
      false,
    );
    // A directory returned without a recall is.
    await client.call(master, delegateRoute, { path: '/other', holder: A }, undefined, holder);
    await client.call(master, delegationReturnRoute, { holder: A, path: '/other' }, undefined, holder);
    expect((await client.call(master, delegateRoute, { path: '/other', holder: A }, undefined, holder)).granted).toBe(
      true,
    );
  });

  it('asks write permission on the directory', async () => {
    const { client, master } = await start();
    await client.call(master, mkdirRoute, { path: '/root-only', recursive: false });
    const alice = { authorization: `Bearer ${testToken({ user: 'alice' })}`, [HOLDER_HEADER]: A };
    expect(
      await codeOfAsync(client.call(master, delegateRoute, { path: '/root-only', holder: A }, undefined, alice)),
    ).toBe('PERMISSION_DENIED');
  });

  it('a SIGKILLed and restarted master still refuses others until the delegation is returned or expires', async () => {
    const { client, master, cluster: started } = await start();
    const holder = asHolder(A);
    await client.call(master, mkdirRoute, { path: '/kept', recursive: false });
    await client.call(master, mkdirRoute, { path: '/lapses', recursive: false });
    expect((await client.call(master, delegateRoute, { path: '/kept', holder: A }, undefined, holder)).granted).toBe(
      true,
    );
    const lapsing = await client.call(master, delegateRoute, { path: '/lapses', holder: A }, undefined, holder);
    expect(lapsing.granted).toBe(true);

    await started.restart(started.master);

    expect(await codeOfAsync(client.call(master, lookupRoute, { path: '/kept/f' }))).toBe('DELEGATED');
    expect(await codeOfAsync(client.call(master, createRoute, { path: '/lapses/f', overwrite: false }))).toBe(
      'DELEGATED',
    );
    // The restarted master knows the holder's delegations, and that they are recalled now.
    expect(await client.call(master, delegationRecallsRoute, { holder: A, waitMs: 5_000 }, undefined, holder)).toEqual({
      recalled: ['/kept', '/lapses'],
    });
    const renewed = await client.call(master, delegationRenewRoute, { holder: A, paths: ['/kept'] });
    expect(renewed).toMatchObject({ held: ['/kept'], recalled: ['/kept'], lost: [] });
    await client.call(master, delegationReturnRoute, { holder: A, path: '/kept' }, undefined, holder);
    expect((await client.call(master, lookupRoute, { path: '/kept/f' })).entry).toBeNull();

    // Never renewed, never returned: it lapses at its expiry, and not before.
    await waitFor(
      'the unrenewed delegation to lapse',
      async () =>
        (await codeOfAsync(client.call(master, createRoute, { path: '/lapses/f', overwrite: false }))) === undefined,
      DELEGATION_TERM_MS + 10_000,
      200,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(lapsing.expiresAtMs);
  });
});

describe('at an in-process master', () => {
  let dir: string;
  let master: RunningMaster | undefined;
  let rpc: RpcClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gfs-delegations-poll-'));
    rpc = new RpcClient();
    master = await startMaster({
      host: '127.0.0.1',
      port: 0,
      dataDir: dir,
      chunkSizeBytes: 1024 * 1024,
      replication: 1,
      leaseMs: 60_000,
      deadAfterMs: 10_000,
      trashRetentionMs: 0,
      startupWaitMs: 0,
      insecure: true,
      logger: silentLogger(),
    });
  });
  afterEach(async () => {
    await master?.close();
    master = undefined;
    await rpc.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function pollsWaiting(address: string): Promise<number | undefined> {
    const response = await fetch(`http://${address}/metrics`);
    return sampleValue(parsePrometheusText(await response.text()), 'gfs_master_delegation_recall_polls');
  }

  it('a stopping master ends the long-polls waiting on it, rather than waiting for them', async () => {
    const running = master as RunningMaster;
    const waiting = rpc.call(running.address, delegationRecallsRoute, { holder: A, waitMs: 60_000 });
    await waitFor('the long-poll to wait', async () => (await pollsWaiting(running.address)) === 1);
    const stoppedAt = Date.now();
    await running.close();
    master = undefined;
    expect(await waiting).toEqual({ recalled: [] });
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  });

  it('a long-poll whose client goes away leaves nothing waiting', async () => {
    const running = master as RunningMaster;
    const leaving = new RpcClient();
    const waiting = leaving.call(running.address, delegationRecallsRoute, { holder: A, waitMs: 60_000 });
    await waitFor('the long-poll to wait', async () => (await pollsWaiting(running.address)) === 1);
    const outcome = codeOfAsync(waiting);
    await leaving.close(0);
    expect(await outcome).toBe('UNAVAILABLE');
    await waitFor('the long-poll to be forgotten', async () => (await pollsWaiting(running.address)) === 0, 5_000);
  });

  it('every route that takes a client path refuses a non-holder touching the directory, with no effect, and lets the holder through', async () => {
    const address = (master as RunningMaster).address;
    const holder = { [HOLDER_HEADER]: A };
    await rpc.call(address, mkdirRoute, { path: '/top/d/sub', recursive: true });
    await rpc.call(address, mkdirRoute, { path: '/e', recursive: false });
    await rpc.call(address, createRoute, { path: '/top/d/f', overwrite: false });
    expect((await rpc.call(address, delegateRoute, { path: '/top/d', holder: A })).granted).toBe(true);

    /** A request, sent with the headers given (or none). */
    const call =
      <R extends RouteDef>(def: R, body: BodyOf<R>) =>
      (headers?: Record<string, string>) =>
        rpc.call(address, def, body, undefined, headers);
    const touching: Array<[string, ReturnType<typeof call>]> = [
      ['mkdir', call(mkdirRoute, { path: '/top/d/new', recursive: false })],
      ['mkdir -p', call(mkdirRoute, { path: '/top/d/a/b', recursive: true })],
      ['create', call(createRoute, { path: '/top/d/new', overwrite: false })],
      ['stat', call(statRoute, { path: '/top/d/f' })],
      ['stat of the directory', call(statRoute, { path: '/top/d' })],
      ['lookup', call(lookupRoute, { path: '/top/d/missing' })],
      ['list', call(listRoute, { path: '/top/d' })],
      ['rename from', call(renameRoute, { from: '/top/d/f', to: '/e/f' })],
      ['rename into', call(renameRoute, { from: '/e', to: '/top/d/e' })],
      ['rename of a tree holding it', call(renameRoute, { from: '/top', to: '/top2' })],
      ['delete', call(deleteRoute, { path: '/top/d/f', recursive: false })],
      ['delete of a tree holding it', call(deleteRoute, { path: '/top', recursive: true })],
      ['snapshot from', call(snapshotRoute, { from: '/top', to: '/copy' })],
      ['snapshot into', call(snapshotRoute, { from: '/e', to: '/top/d/copy' })],
      ['restore into', call(restoreRoute, { path: '/gone', to: '/top/d/back' })],
      ['extend', call(extendRoute, { path: '/top/d/f', length: 0 })],
      ['truncate', call(truncateRoute, { path: '/top/d/f', length: 0 })],
      ['reserve-append', call(reserveAppendRoute, { path: '/top/d/f', length: 10 })],
      ['chmod', call(chmodRoute, { path: '/top/d/f', mode: 0o600 })],
      ['chown', call(chownRoute, { path: '/top/d/f', group: 'other' })],
      ['utimes', call(utimesRoute, { path: '/top/d/f', mtimeMs: 1 })],
      ['locate', call(locateRoute, { path: '/top/d/f', index: 0, count: 1 })],
      ['lease', call(leaseRoute, { path: '/top/d/f', index: 0 })],
      ['append lease', call(appendLeaseRoute, { path: '/top/d/f' })],
      ['file chunks', call(fileChunksRoute, { path: '/top/d/f' })],
    ];
    for (const [what, request] of touching) expect(await codeOfAsync(request()), what).toBe('DELEGATED');

    // Nothing changed: seen by the holder, whose own requests pass.
    const seen = async (path: string) => (await rpc.call(address, lookupRoute, { path }, undefined, holder)).entry;
    expect(
      (await rpc.call(address, listRoute, { path: '/top/d' }, undefined, holder)).entries.map((e) => e.name),
    ).toEqual(['f', 'sub']);
    expect(await seen('/top/d/f')).toMatchObject({ size: 0, mode: 0o644 });
    expect(await seen('/e')).toMatchObject({ type: 'dir' });
    expect(await seen('/copy')).toBeNull();

    // Not touching it: beside it, below its subdirectories, its parent, and what names no path.
    const beside: Array<[string, ReturnType<typeof call>]> = [
      ['lookup in a subdirectory', call(lookupRoute, { path: '/top/d/sub/x' })],
      ['mkdir -p below an existing subdirectory', call(mkdirRoute, { path: '/top/d/sub/a/b', recursive: true })],
      ['list of its parent', call(listRoute, { path: '/top' })],
      ['create beside it', call(createRoute, { path: '/top/g', overwrite: false })],
      ['statfs', call(statfsRoute, {})],
      ['trash', call(trashRoute, {})],
    ];
    for (const [what, request] of beside) expect(await codeOfAsync(request()), what).toBeUndefined();

    // The holder's own requests pass (they may fail otherwise: no chunkservers here). Those that
    // take the directory away come last: its rename drops the delegation.
    const takesItAway = ['rename of a tree holding it', 'delete of a tree holding it'];
    const inOrder = [
      ...touching.filter(([what]) => !takesItAway.includes(what)),
      ...touching.filter(([what]) => takesItAway.includes(what)),
    ];
    for (const [what, request] of inOrder) expect(await codeOfAsync(request(holder)), what).not.toBe('DELEGATED');
    expect(await codeOfAsync(rpc.call(address, lookupRoute, { path: '/top2/d/x' }))).toBeUndefined();
  });
});
