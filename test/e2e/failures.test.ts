// Failures a real cluster meets: the master SIGKILLed after acknowledged writes, a chunkserver
// SIGKILLed, a chunkserver that missed a rewrite coming back with an old version, a corrupted
// replica. Nothing acknowledged may be lost and no stale or corrupt byte may be returned.

import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { chunkTokenHeaders } from '../harness/chunk-token.js';
import { TestCluster } from '../harness/cluster.js';
import { waitFor } from '../harness/wait.js';

const MiB = 1024 * 1024;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

async function start(): Promise<{ cluster: TestCluster; client: GfsClient }> {
  cluster = await TestCluster.start({ chunkSize: '1MiB', lease: '3s', deadAfter: '1500ms', heartbeat: '200ms' });
  client = new GfsClient({ master: cluster.masterUrl });
  return { cluster, client };
}

interface ChunkInfo {
  handle: string;
  version: number;
  replicas: string[];
}

async function chunksOf(cluster: TestCluster, path: string): Promise<ChunkInfo[]> {
  const result = await cluster.gfs(['stat', '--chunks', '--json', `gfs:${path}`]);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout.toString()) as { chunks: ChunkInfo[] }).chunks;
}

function nodeAt(cluster: TestCluster, address: string) {
  const node = cluster.chunkservers.find((candidate) => address.endsWith(`:${candidate.port}`));
  if (!node) throw new Error(`no chunkserver at ${address}`);
  return node;
}

describe('master crash', () => {
  it('keeps every acknowledged file, with its size and bytes, across SIGKILL and restart', async () => {
    const { cluster, client } = await start();
    const written = new Map<string, string>();
    await client.mkdir('/acked', { recursive: true });
    for (let i = 0; i < 12; i++) {
      const data = seededBytes(i * 150_001 + 1, i);
      await client.writeFile(`/acked/f${i}`, data);
      written.set(`/acked/f${i}`, sha256(data));
    }
    await client.rename('/acked/f0', '/acked/renamed');
    written.set('/acked/renamed', written.get('/acked/f0') ?? '');
    written.delete('/acked/f0');

    await cluster.restart(cluster.master);
    await cluster.waitAlive(3);

    const fresh = new GfsClient({ master: cluster.masterUrl });
    try {
      const listed = (await fresh.readdir('/acked')).map((entry) => entry.name).sort();
      expect(listed).toEqual([...written.keys()].map((path) => path.slice('/acked/'.length)).sort());
      for (const [path, digest] of written) {
        const index = Number(path.slice('/acked/f'.length));
        const expectedSize = path.endsWith('renamed') ? 1 : index * 150_001 + 1;
        expect((await fresh.stat(path)).size).toBe(expectedSize);
        expect(sha256(await fresh.readFile(path))).toBe(digest);
      }
    } finally {
      await fresh.close();
    }
  });
});

describe('master restarted mid-write', () => {
  it('a write stream open across a master SIGKILL and restart completes and reads back identical', async () => {
    const { cluster, client } = await start();
    const data = seededBytes(12 * MiB + 5, 41);
    const stream = client.createWriteStream('/midwrite.bin');
    const finished = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    const half = 6 * MiB;
    await new Promise<void>((resolve, reject) =>
      stream.write(data.subarray(0, half), (error) => (error ? reject(error) : resolve())),
    );
    await cluster.restart(cluster.master);
    stream.end(data.subarray(half));
    await finished;
    expect((await client.stat('/midwrite.bin')).size).toBe(data.length);
    expect(sha256(await client.readFile('/midwrite.bin'))).toBe(sha256(data));
  });
});

describe('chunkserver crash', () => {
  it('reads go on from the remaining replicas', async () => {
    const { cluster, client } = await start();
    const data = seededBytes(3 * MiB + 17, 5);
    await client.writeFile('/survive.bin', data);
    const victim = cluster.chunkservers[0];
    if (!victim) throw new Error('no chunkserver');
    await cluster.kill(victim);
    // Immediately, before the master notices: the client must fall back by itself.
    expect(sha256(await client.readFile('/survive.bin'))).toBe(sha256(data));
    const cat = await cluster.gfs(['cat', 'gfs:/survive.bin']);
    expect(cat.code).toBe(0);
    expect(sha256(cat.stdout)).toBe(sha256(data));
  });

  it('writes go on with the remaining replicas once the master declares the dead one dead', async () => {
    const { cluster, client } = await start();
    await client.writeFile('/w.bin', seededBytes(MiB, 1));
    const victim = cluster.chunkservers[1];
    if (!victim) throw new Error('no chunkserver');
    await cluster.kill(victim);
    const data = seededBytes(2 * MiB + 3, 2);
    await client.writeFile('/w2.bin', data);
    expect(sha256(await client.readFile('/w2.bin'))).toBe(sha256(data));
  });
  it('sync after a replica died waits for the master to drop it, then succeeds; nothing is lost', async () => {
    const { cluster, client } = await start();
    const data = seededBytes(2 * MiB + 5, 31);
    const file = await client.open('/synced.bin', 'w');
    await file.write(data);
    const [first] = await chunksOf(cluster, '/synced.bin');
    const address = first?.replicas[0];
    if (address === undefined) throw new Error('chunk 0 has no replica');
    await cluster.kill(nodeAt(cluster, address));
    // Every chunk was written to all three; one replica of chunk 0 (at least) is gone for good.
    await file.sync();
    await file.close();
    expect(sha256(await client.readFile('/synced.bin'))).toBe(sha256(data));
    expect((await chunksOf(cluster, '/synced.bin'))[0]?.replicas).not.toContain(address);
  });
});

describe('stale replica', () => {
  it('a chunkserver that missed a rewrite is never read from', async () => {
    const { cluster, client } = await start();
    const before = seededBytes(MiB, 21);
    await client.writeFile('/stale.bin', before);
    const [chunk] = await chunksOf(cluster, '/stale.bin');
    if (!chunk) throw new Error('no chunk');
    const victim = nodeAt(cluster, chunk.replicas[0] ?? '');
    await cluster.kill(victim);

    // Rewrite the same chunk in place while the victim is down.
    const after = seededBytes(MiB, 22);
    const handle = await client.open('/stale.bin', 'r+');
    await handle.write(after, 0);
    await handle.close();
    const [rewritten] = await chunksOf(cluster, '/stale.bin');
    expect(rewritten?.handle).toBe(chunk.handle);
    expect(rewritten?.version).toBeGreaterThan(chunk.version);

    await cluster.restart(victim);
    await cluster.waitAlive(3);
    // Several fresh clients, so reads rotate over every replica the master hands out.
    for (let i = 0; i < 6; i++) {
      const reader = new GfsClient({ master: cluster.masterUrl });
      try {
        expect(sha256(await reader.readFile('/stale.bin'))).toBe(sha256(after));
      } finally {
        await reader.close();
      }
    }
    const [now] = await chunksOf(cluster, '/stale.bin');
    expect(now?.replicas.some((address) => address.endsWith(`:${victim.port}`))).toBe(false);
  });
});

describe('corrupt replica', () => {
  it('a flipped byte in one replica is detected and the read is served by another', async () => {
    const { cluster, client } = await start();
    const data = seededBytes(MiB, 31);
    await client.writeFile('/corrupt.bin', data);
    const [chunk] = await chunksOf(cluster, '/corrupt.bin');
    if (!chunk) throw new Error('no chunk');

    // Corrupt every replica but one, so whichever the client tries first, only one is right.
    const good = chunk.replicas[chunk.replicas.length - 1] ?? '';
    for (const address of chunk.replicas.slice(0, -1)) {
      const node = nodeAt(cluster, address);
      const dir = join(node.dataDir, 'chunks');
      expect(await readdir(dir)).toContain(chunk.handle);
      const file = await open(join(dir, chunk.handle), 'r+');
      const byte = Buffer.alloc(1);
      await file.read(byte, 0, 1, 300_000);
      byte[0] = (byte[0] ?? 0) ^ 0xff;
      await file.write(byte, 0, 1, 300_000);
      await file.close();
    }
    for (let i = 0; i < 3; i++) {
      const reader = new GfsClient({ master: cluster.masterUrl });
      try {
        expect(sha256(await reader.readFile('/corrupt.bin'))).toBe(sha256(data));
      } finally {
        await reader.close();
      }
    }
    // Which replica a client tries first is random, so ask each corrupt one directly, as a reader
    // would: it must refuse with CHECKSUM_MISMATCH (and report itself to the master), unless an
    // earlier read already had it reported and deleted (CHUNK_NOT_FOUND). It never serves the bytes.
    for (const address of chunk.replicas.slice(0, -1)) {
      const response = await fetch(
        `http://${address}/chunk/${chunk.handle}?version=${chunk.version}&offset=0&length=${MiB}`,
        { headers: await chunkTokenHeaders(cluster.root, chunk.handle, chunk.version) },
      );
      const { code } = (await response.json()) as { code: string };
      expect(['CHECKSUM_MISMATCH', 'CHUNK_NOT_FOUND']).toContain(code);
    }
    // The master was told: the corrupt replicas are no longer handed out.
    await waitFor('corrupt replicas dropped', async () => {
      const [now] = await chunksOf(cluster, '/corrupt.bin');
      return now && now.replicas.length >= 1 && now.replicas.every((address) => address === good) ? true : undefined;
    });
  });
});
