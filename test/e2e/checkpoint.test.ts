// Checkpoints with a whole cluster: with a checkpoint every 40 records, a master that logged a few
// hundred records restarts from its newest checkpoint plus the trimmed log's tail, and every file
// is there with its size and bytes.

import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { InProcessCluster } from '../harness/in-process.js';

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
