// Checkpoints with a whole cluster: with a checkpoint every 40 records, a master that logged a few
// hundred records restarts from its newest checkpoint plus the trimmed log's tail, and every file
// is there with its size and bytes. Then real processes: SIGKILL while a checkpoint is written,
// and a half-written checkpoint left in place.

import { readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { createRoute, mkdirRoute } from '../../shared/protocol/namespace.js';
import { AdminRpcClient } from '../harness/admin-rpc.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { InProcessCluster } from '../harness/in-process.js';
import { waitFor } from '../harness/wait.js';

let cluster: InProcessCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await client?.close();
  await cluster?.stop();
  client = undefined;
  cluster = undefined;
});

describe('checkpoint and replay', () => {
  it('restarts from the newest checkpoint and the log after it', async () => {
    cluster = await InProcessCluster.start(3, { checkpointEveryRecords: 40 });
    client = new GfsClient({ master: cluster.masterUrl });
    const digests = new Map<string, string>();
    await client.mkdir('/cp', { recursive: false });
    for (let i = 0; i < 60; i++) {
      const data = seededBytes(1000 + i * 37, i);
      await client.writeFile(`/cp/f${i}`, data);
      digests.set(`/cp/f${i}`, sha256(data));
    }
    for (let i = 0; i < 10; i++) {
      await client.rename(`/cp/f${i}`, `/cp/g${i}`);
      digests.set(`/cp/g${i}`, digests.get(`/cp/f${i}`) ?? '');
      digests.delete(`/cp/f${i}`);
    }
    await client.rm('/cp/f59', { recursive: false });
    digests.delete('/cp/f59');
    const checkpoints = (await readdir(cluster.masterDataDir)).filter((name) => /^checkpoint-\d+\.json$/.test(name));
    expect(checkpoints.length).toBeGreaterThan(0);

    await client.close();
    await cluster.stopMaster();
    await cluster.startMaster();
    await cluster.waitAlive(3);
    client = new GfsClient({ master: cluster.masterUrl });

    const names = (await client.readdir('/cp')).map((entry) => `/cp/${entry.name}`).sort();
    expect(names).toEqual([...digests.keys()].sort());
    for (const [path, digest] of digests) {
      expect(sha256(await client.readFile(path))).toBe(digest);
    }
  });
});

// The same with real processes: the master is SIGKILLed in the middle of writing a checkpoint, or
// restarts over a checkpoint left half-written at its final name, and comes back with every
// acknowledged file, size and byte. A create whose answer was lost before such a restart, sent
// again with its createId, still gets its file when a checkpoint came between the two.
describe('checkpoints and crashes (real processes)', () => {
  let real: TestCluster | undefined;
  let sdk: GfsClient | undefined;

  afterEach(async () => {
    await sdk?.close();
    await real?.stop();
    sdk = undefined;
    real = undefined;
  });

  function checkpointFiles(dataDir: string): Promise<string[]> {
    return readdir(dataDir).then((names) => names.filter((name) => name.startsWith('checkpoint-')).sort());
  }

  async function expectFiles(client: GfsClient, digests: Map<string, string>): Promise<void> {
    for (const [path, digest] of digests) {
      const data = await client.readFile(path);
      expect(sha256(data), path).toBe(digest);
      expect((await client.stat(path)).size, path).toBe(data.length);
    }
  }

  it('SIGKILL while a checkpoint is being written: restarts with all acknowledged state', async () => {
    real = await TestCluster.start({
      masterArgs: ['--checkpoint-every', '100'],
      // Test-only knob (master/main.ts): each batch of the checkpoint body waits 400 ms after it is
      // written, so the temp file lives long enough to be caught.
      masterEnv: { GFS_TEST_CHECKPOINT_BATCH_DELAY_MS: '400' },
    });
    const cluster = real;
    sdk = new GfsClient({ master: cluster.masterUrl });
    const client = sdk;
    await client.mkdir('/crash', { recursive: false });
    const acknowledged = new Map<string, string>();
    let killed = false;
    const inFlight: Promise<void>[] = [];
    const writer = async (id: number) => {
      for (let i = 0; !killed; i++) {
        const path = `/crash/w${id}-${i}`;
        const data = seededBytes(500 + ((i * 7919 + id * 104_729) % 20_000), id * 100_000 + i);
        const write = client.writeFile(path, data).then(() => {
          acknowledged.set(path, sha256(data));
        });
        inFlight.push(write.catch(() => undefined));
        await write.catch(() => undefined);
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    const temp = await waitFor(
      'a checkpoint being written',
      async () => (await readdir(cluster.master.dataDir)).find((name) => /^checkpoint-\d+\.json\.tmp$/.test(name)),
      60_000,
      10,
    );
    await cluster.kill(cluster.master);
    killed = true;
    const acknowledgedAtKill = acknowledged.size;
    // Killed mid-write: the temp file is still there and was never renamed into place.
    expect(await checkpointFiles(cluster.master.dataDir)).toContain(temp);
    expect(await checkpointFiles(cluster.master.dataDir)).not.toContain(temp.replace(/\.tmp$/, ''));
    expect(acknowledgedAtKill).toBeGreaterThan(10);

    await cluster.restart(cluster.master);
    await cluster.waitAlive(3);
    // Writes that were in flight at the kill either failed or completed against the new master.
    await Promise.all(writers);
    await Promise.all(inFlight);
    expect(cluster.master.stderr).toMatch(/unfinished checkpoint removed file=checkpoint-\d+\.json\.tmp/);
    await expectFiles(client, acknowledged);
    const listed = new Set((await client.readdir('/crash')).map((entry) => `/crash/${entry.name}`));
    for (const path of acknowledged.keys()) expect(listed.has(path), path).toBe(true);
  });

  it('a checkpoint left half-written at its final name is skipped: previous one + longer replay', async () => {
    real = await TestCluster.start({ masterArgs: ['--checkpoint-every', '60'] });
    const cluster = real;
    sdk = new GfsClient({ master: cluster.masterUrl });
    const client = sdk;
    await client.mkdir('/half', { recursive: false });
    const digests = new Map<string, string>();
    for (let i = 0; i < 60; i++) {
      const data = seededBytes(300 + i * 101, 7_000 + i);
      await client.writeFile(`/half/f${i}`, data);
      digests.set(`/half/f${i}`, sha256(data));
    }
    const checkpoints = await waitFor('two checkpoints', async () => {
      const names = await checkpointFiles(cluster.master.dataDir);
      return names.length === 2 && names.every((name) => name.endsWith('.json')) ? names : undefined;
    });
    await cluster.kill(cluster.master);
    const seqs = checkpoints.map((name) => Number(/\d+/.exec(name)?.[0])).sort((a, b) => b - a);
    const newest = join(cluster.master.dataDir, `checkpoint-${seqs[0]}.json`);
    await truncate(newest, Math.floor((await stat(newest)).size / 2));

    await cluster.restart(cluster.master);
    await cluster.waitAlive(3);
    expect(cluster.master.stderr).toMatch(new RegExp(`damaged checkpoints skipped seqs=${seqs[0]} using=${seqs[1]}`));
    await expectFiles(client, digests);
  });

  it('a create retried with its id after a checkpoint and a restart gets its file, not ALREADY_EXISTS', async () => {
    real = await TestCluster.start({
      chunkservers: 0,
      masterArgs: ['--checkpoint-every', '10'],
      // Info level for the `state recovered checkpoint=<seq>` line: proof the restart began past the create.
      masterEnv: { GFS_LOG_LEVEL: 'info' },
    });
    const cluster = real;
    const address = `127.0.0.1:${cluster.master.port}`;
    const rpc = new AdminRpcClient();
    try {
      const retried = { path: '/retried', overwrite: false, createId: 'answer-lost-1' };
      const first = await rpc.call(address, createRoute, retried);
      for (let i = 0; i < 12; i++) await rpc.call(address, mkdirRoute, { path: `/d${i}`, recursive: false });
      await waitFor('a checkpoint past the create', async () =>
        (await checkpointFiles(cluster.master.dataDir)).some((name) => name.endsWith('.json')) ? true : undefined,
      );

      await cluster.restart(cluster.master);
      const recovered = /state recovered checkpoint=(\d+)/.exec(cluster.master.stderr);
      expect(Number(recovered?.[1])).toBeGreaterThanOrEqual(10);
      expect(await rpc.call(address, createRoute, retried)).toEqual(first);
      await expect(rpc.call(address, createRoute, { ...retried, createId: 'someone-else' })).rejects.toMatchObject({
        code: 'ALREADY_EXISTS',
        subject: '/retried',
      });
    } finally {
      await rpc.close();
    }
  });
});
