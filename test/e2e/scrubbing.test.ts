// Scrubbing on real processes (issue 5 item 4, GFS §5.2): a byte flipped in a chunk file on disk,
// behind its chunkserver's back, is found by that server's idle scrubber with no client read;
// the replica is reported, re-cloned from a good one and the bad copy deleted, so `gfs fsck`
// returns to healthy and the file reads back identical. Waits poll with deadlines.

import { access, open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { waitFor } from '../harness/wait.js';

const MiB = 1024 * 1024;
const DEADLINE_MS = 90_000;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/** A chunkserver's /metrics value (0 when absent). */
async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('scrubbing', () => {
  it('finds a corrupt replica with no client read; it is re-cloned, the bad copy deleted, fsck healthy again', async () => {
    cluster = await TestCluster.start({
      chunkservers: 4,
      chunkSize: '1MiB',
      replication: 3,
      lease: '3s',
      deadAfter: '1500ms',
      heartbeat: '200ms',
      // Scrub as soon as a server is quiet for 300 ms, and every replica again after 1 s.
      chunkserverArgs: ['--scrub-idle', '300ms', '--scrub-interval', '1s'],
    });
    client = new GfsClient({ master: cluster.masterUrl });
    const data = seededBytes(2 * MiB + 7, 5);
    await client.mkdir('/s');
    await client.writeFile('/s/file.bin', data);
    const chunks = await client.fileChunks('/s/file.bin');
    const chunk = chunks[1];
    if (!chunk) throw new Error('no chunk 1');
    expect(chunk.replicas).toHaveLength(3);
    const victim = cluster.chunkservers.find((node) => chunk.replicas[0] === `127.0.0.1:${node.port}`);
    if (!victim) throw new Error('no chunkserver holds chunk 1');
    const chunkFile = join(victim.dataDir, 'chunks', chunk.handle);

    // Flip one byte of the replica behind the chunkserver's back.
    const file = await open(chunkFile, 'r+');
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, 300_000);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await file.write(byte, 0, 1, 300_000);
    await file.close();

    // The victim's scrubber finds it (nobody reads the file meanwhile).
    await waitFor(
      'the scrubber to report the corrupt replica',
      async () => ((await metric(victim.port, 'gfs_chunkserver_scrub_corrupt_replicas_total')) >= 1 ? true : undefined),
      DEADLINE_MS,
      200,
    );
    // Re-cloned from a good replica onto the spare server, then the bad copy deleted.
    await waitFor(
      'fsck healthy with the bad copy gone',
      async () => {
        const fsck = await cluster?.gfs(['fsck']);
        return fsck?.code === 0 && !(await exists(chunkFile)) ? true : undefined;
      },
      DEADLINE_MS,
      250,
    );
    const after = (await client.fileChunks('/s/file.bin'))[1];
    expect(after?.replicas).toHaveLength(3);
    expect(after?.replicas).not.toContain(`127.0.0.1:${victim.port}`);
    const clones = (await client.cloneLog()).filter((clone) => clone.handle === chunk.handle);
    expect(clones.map((clone) => clone.result)).toContain('done');
    // No client ever read from the victim: the scrubber found it, not a read.
    expect(await metric(victim.port, 'gfs_chunkserver_bytes_read_total')).toBe(0);
    expect(await metric(victim.port, 'gfs_chunkserver_scrub_bytes_verified_total')).toBeGreaterThan(0);

    expect(sha256(await client.readFile('/s/file.bin'))).toBe(sha256(data));
  });
});
