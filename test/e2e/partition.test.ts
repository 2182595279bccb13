// A primary cut off from the master but still reachable by clients (a partition). The master
// declares it dead and hands the lease to the other replicas at a new version without waiting
// out the old lease; the old primary, still alive, must not be able to complete a write.

import { afterEach, describe, expect, it } from 'vitest';
import { tokenHeaders } from '../../client/sdk/chunk-token.js';
import { GfsClient } from '../../index.js';
import type { RpcClient } from '../../shared/http/client.js';
import { leaseRoute } from '../../shared/protocol/chunks.js';
import { pushPath, writeRoute } from '../../shared/protocol/data.js';
import { AdminRpcClient } from '../harness/admin-rpc.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { codeOfAsync } from '../harness/error-code.js';

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;
let rpc: RpcClient | undefined;

afterEach(async () => {
  await client?.close();
  await rpc?.close();
  await cluster?.stop();
  cluster = undefined;
  client = undefined;
  rpc = undefined;
});

describe('partitioned primary', () => {
  it('loses its lease to the live replicas, and its own writes can no longer succeed', async () => {
    cluster = await TestCluster.start({ lease: '60s', deadAfter: '1500ms', heartbeat: '200ms', proxiedMaster: true });
    client = new GfsClient({ master: cluster.masterUrl });
    rpc = new AdminRpcClient();
    const before = seededBytes(256 * 1024, 1);
    await client.writeFile('/p.bin', before);

    const old = await rpc.call(cluster.masterUrl, leaseRoute, { path: '/p.bin', index: 0 });
    const primary = cluster.chunkservers.find((node) => old.primary.endsWith(`:${node.port}`));
    if (!primary?.masterProxy) throw new Error('primary not found');
    primary.masterProxy.cut();
    await cluster.waitAlive(2);

    // A new lease, well inside the old one's 60 s: another primary, a higher version.
    const fresh = await rpc.call(cluster.masterUrl, leaseRoute, { path: '/p.bin', index: 0 });
    expect(fresh.primary).not.toBe(old.primary);
    expect(fresh.version).toBeGreaterThan(old.version);

    // A client still holding the old lease writes through the old primary, which is alive.
    const stale = Buffer.alloc(4096, 0xee);
    const dataId = 'partition-test-0001';
    const chain = [old.primary, ...old.secondaries];
    const pushed = await rpc.request(old.primary, {
      method: 'PUT',
      path: pushPath(dataId, chain.slice(1)),
      // The old lease's own write token: the client still holds it, and it has not expired.
      headers: { 'content-type': 'application/octet-stream', ...tokenHeaders(old.token) },
      body: stale,
    });
    await pushed.body.text();
    const code = await codeOfAsync(
      rpc.call(
        old.primary,
        writeRoute,
        {
          handle: old.handle,
          version: old.version,
          offset: 0,
          dataId,
          length: stale.length,
          secondaries: old.secondaries,
        },
        writeRoute.url,
        tokenHeaders(old.token),
      ),
    );
    expect(['REPLICA_FAILED', 'STALE_VERSION']).toContain(code);

    // What readers see is the last acknowledged content, then a write through the new primary.
    expect(sha256(await client.readFile('/p.bin'))).toBe(sha256(before));
    const after = seededBytes(256 * 1024, 2);
    await client.writeFile('/p.bin', after);
    expect(sha256(await client.readFile('/p.bin'))).toBe(sha256(after));
  });
});
