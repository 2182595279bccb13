// Small files on real processes (issue 4): a file written whole before its first close goes into
// the chunk its create reserved (one chunk write and one master call at close), through the mount
// and through the SDK's writeFile. Every file whose close returned is whole for every reader, also
// when a chunkserver is SIGKILLed or the master is SIGKILLed and restarted while files are being
// written (the mount waits for a restarting master); a file whose close failed is empty or whole,
// never torn.

import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { sh, shOk, stopAllMounts, TestMount } from '../harness/mount.js';
import { waitFor } from '../harness/wait.js';

/** Bytes of each small file: the bench's 4 KiB. */
const FILE_BYTES = 4096;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await stopAllMounts();
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
});

/** A lease long enough that reservations stay usable while a loaded test machine catches up. */
async function start(): Promise<{ cluster: TestCluster; client: GfsClient }> {
  cluster = await TestCluster.start({ chunkSize: '1MiB', lease: '20s', deadAfter: '2s', heartbeat: '200ms' });
  client = new GfsClient({ master: cluster.masterUrl });
  return { cluster, client };
}

async function metric(cluster: TestCluster, name: string): Promise<number> {
  const text = await (await fetch(`${cluster.masterUrl}/metrics`)).text();
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (match?.[1] === undefined) throw new Error(`no metric ${name}`);
  return Number(match[1]);
}

/** What the shell loop writes into file k: k in decimal, zero-padded to FILE_BYTES. */
function contentOf(k: number): string {
  return String(k).padStart(FILE_BYTES, '0');
}

/**
 * Creates, writes and closes `count` files in `dir` from one bash process, as the bench does;
 * appends k to `acked` (a local file) once file k's close returned success.
 */
function writeLoop(dir: string, count: number, acked: string) {
  return sh(
    `for ((k=0; k<${count}; k++)); do printf "%0${FILE_BYTES}d" $k > "${dir}/f$k" && echo $k >> "${acked}"; done; true`,
    { timeoutMs: 300_000 },
  );
}

async function ackedOf(path: string): Promise<number[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map(Number);
}

/** Every file in /dir as a fresh client sees it: acked ones whole, the others empty or whole. */
async function expectWholeFiles(masterUrl: string, dir: string, acked: readonly number[]): Promise<void> {
  const reader = new GfsClient({ master: masterUrl });
  try {
    const listed = new Map((await reader.readdir(dir)).map((entry) => [entry.name, entry.size]));
    for (const k of acked) expect(listed.get(`f${k}`), `f${k} acknowledged`).toBe(FILE_BYTES);
    for (const [name, size] of listed) {
      expect([0, FILE_BYTES], `${name} is empty or whole`).toContain(size);
      if (size === 0) continue;
      const k = Number(name.slice(1));
      expect((await reader.readFile(`${dir}/${name}`)).toString(), `${name} bytes`).toBe(contentOf(k));
    }
  } finally {
    await reader.close();
  }
}

describe('small files', () => {
  it('through the mount: each into its reserved chunk, whole for gfs cat and for another mount', async () => {
    const { cluster } = await start();
    // Every close waits here, so each file takes its reserved chunk at its own close (the path a
    // write-back mount's sender takes too, several at once: test/e2e/mount-write-back.test.ts).
    const writer = await TestMount.start(cluster, { args: ['--no-write-back'] });
    const reader = await TestMount.start(cluster);
    await shOk(`mkdir "${writer.dir}/small"`);
    const attachedBefore = await metric(cluster, 'gfs_master_chunk_pool_attached_total');
    const count = 40;
    const acked = join(cluster.root, 'acked-mount');
    await writeLoop(`${writer.dir}/small`, count, acked);
    expect(await ackedOf(acked)).toHaveLength(count);
    for (let k = 0; k < count; k += 7) {
      expect(await readFile(join(reader.dir, 'small', `f${k}`), 'utf8')).toBe(contentOf(k));
      const cat = await cluster.gfs(['cat', `gfs:/small/f${k}`]);
      expect(cat.stdout.toString()).toBe(contentOf(k));
    }
    await expectWholeFiles(cluster.masterUrl, '/small', await ackedOf(acked));
    // The first create finds the pool empty (it fills on demand); nearly all the rest use it.
    expect((await metric(cluster, 'gfs_master_chunk_pool_attached_total')) - attachedBefore).toBeGreaterThan(count / 2);
    // A file written in two steps, or not from offset 0, takes the usual way and is right too.
    await shOk(
      `cd "${writer.dir}/small" && printf abc > two && printf def >> two && printf x | dd of=off bs=1 seek=5 status=none`,
    );
    expect(await readFile(join(reader.dir, 'small', 'two'), 'utf8')).toBe('abcdef');
    expect(await readFile(join(reader.dir, 'small', 'off'))).toEqual(Buffer.from('\0\0\0\0\0x'));
  });

  it('through the SDK: writeFile of small files, overwrites included, reads back byte for byte', async () => {
    const { cluster, client } = await start();
    await client.mkdir('/sdk');
    const attachedBefore = await metric(cluster, 'gfs_master_chunk_pool_attached_total');
    const digests = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const data = seededBytes(1 + i * 1000, i + 1);
      await client.writeFile(`/sdk/f${i % 15}`, data);
      digests.set(`/sdk/f${i % 15}`, sha256(data));
    }
    for (const [path, digest] of digests) expect(sha256(await client.readFile(path))).toBe(digest);
    expect((await metric(cluster, 'gfs_master_chunk_pool_attached_total')) - attachedBefore).toBeGreaterThan(10);
    // An empty file reserves nothing and has no chunk.
    await client.writeFile('/sdk/empty', '');
    expect(await client.stat('/sdk/empty')).toMatchObject({ size: 0, chunks: 0 });
  });

  it('through gfs cp -r: a tree of small files, several at once, each into its reserved chunk, and back', async () => {
    const { cluster } = await start();
    const local = await mkdtemp(join(tmpdir(), 'gfs-cp-small-'));
    try {
      await mkdir(join(local, 'tree', 'sub'), { recursive: true });
      const digests = new Map<string, string>();
      for (let i = 0; i < 40; i++) {
        const name = i % 4 === 0 ? `sub/f${i}` : `f${i}`;
        const data = seededBytes(1 + i * 997, i + 1);
        await writeFile(join(local, 'tree', name), data);
        digests.set(name, sha256(data));
      }
      // Larger than a piece: copied the usual way, beside the small ones.
      const big = seededBytes(5 * 1024 * 1024 + 3, 99);
      await writeFile(join(local, 'tree', 'big'), big);
      digests.set('big', sha256(big));
      await writeFile(join(local, 'tree', 'empty'), '');
      digests.set('empty', sha256(Buffer.alloc(0)));

      const attachedBefore = await metric(cluster, 'gfs_master_chunk_pool_attached_total');
      const up = await cluster.gfs(['cp', '-r', join(local, 'tree'), 'gfs:/tree']);
      expect(up.stderr.toString()).toBe('');
      expect(up.code).toBe(0);
      // Not every one: a burst of creates can empty the pool, and those take the usual way.
      expect((await metric(cluster, 'gfs_master_chunk_pool_attached_total')) - attachedBefore).toBeGreaterThan(10);

      const down = await cluster.gfs(['cp', '-r', 'gfs:/tree', join(local, 'back')]);
      expect(down.code).toBe(0);
      for (const [name, digest] of digests) expect(sha256(await readFile(join(local, 'back', name)))).toBe(digest);
      expect(sha256((await cluster.gfs(['cat', 'gfs:/tree/sub/f8'])).stdout)).toBe(digests.get('sub/f8'));
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  });

  it('a gfs cp -r that fails while small copies are in flight leaves nothing at the destination', async () => {
    const { cluster } = await start();
    const local = await mkdtemp(join(tmpdir(), 'gfs-cp-fail-'));
    try {
      await mkdir(join(local, 'tree'));
      for (let i = 0; i < 30; i++) await writeFile(join(local, 'tree', `f${i}`), seededBytes(4096, i + 1));
      // Listed last (names are sorted): its stat fails while the small files are being copied.
      await symlink('zz-loop', join(local, 'tree', 'zz-loop'));
      const result = await cluster.gfs(['cp', '-r', join(local, 'tree'), 'gfs:/failed']);
      expect(result.code).toBe(1);
      expect(result.stderr.toString().trim().split('\n')).toHaveLength(1);
      expect(result.stderr.toString()).toMatch(/^gfs: .*zz-loop/);
      // Neither the destination nor its temporary tree is left.
      expect((await cluster.gfs(['ls', 'gfs:/'])).stdout.toString().trim()).toBe('');
    } finally {
      await rm(local, { recursive: true, force: true });
    }
  });

  it('writeWhole falls back to the usual way when the file got a chunk meanwhile, and loses nothing', async () => {
    const { cluster, client } = await start();
    await client.writeFile('/warm', 'x');
    await waitFor('a pool', async () =>
      (await metric(cluster, 'gfs_master_chunk_pool_ready')) > 0 ? true : undefined,
    );
    await client.mkdir('/race');
    const { handle } = await client.openOrCreate('/race/f', { reserveChunk: true });
    // Another client writes first: the file has its chunk 0 now, so the reservation cannot attach.
    const other = new GfsClient({ master: cluster.masterUrl });
    try {
      await other.writeFile('/race/f', 'written elsewhere, longer than ours');
    } finally {
      await other.close();
    }
    const droppedBefore = await metric(cluster, 'gfs_master_chunk_pool_dropped_total');
    await handle.writeWhole(Buffer.from('ours'));
    expect((await client.readFile('/race/f')).toString()).toBe('oursten elsewhere, longer than ours');
    // The reserved chunk went unused: the master deletes it.
    expect(await metric(cluster, 'gfs_master_chunk_pool_dropped_total')).toBeGreaterThan(droppedBefore);
  });

  it('a chunkserver SIGKILLed while files are written through the mount loses no acknowledged file', async () => {
    const { cluster } = await start();
    const mount = await TestMount.start(cluster);
    await shOk(`mkdir "${mount.dir}/k"`);
    const acked = join(cluster.root, 'acked-kill');
    const loop = writeLoop(`${mount.dir}/k`, 80, acked);
    await waitFor('files acknowledged before the kill', async () =>
      (await ackedOf(acked)).length >= 15 ? true : undefined,
    );
    const victim = cluster.chunkservers[1];
    if (victim === undefined) throw new Error('no chunkserver');
    await cluster.kill(victim);
    expect((await loop).code).toBe(0);
    const done = await ackedOf(acked);
    // Writes wait for the master to declare the server dead and go on with the others: all land.
    expect(done).toHaveLength(80);
    await expectWholeFiles(cluster.masterUrl, '/k', done);
  });

  it('the master SIGKILLed and restarted while files are written: acknowledged ones survive whole', async () => {
    const { cluster } = await start();
    const mount = await TestMount.start(cluster);
    await shOk(`mkdir "${mount.dir}/m"`);
    const acked = join(cluster.root, 'acked-master');
    const loop = writeLoop(`${mount.dir}/m`, 80, acked);
    await waitFor('files acknowledged before the restart', async () =>
      (await ackedOf(acked)).length >= 15 ? true : undefined,
    );
    await cluster.restart(cluster.master);
    expect((await loop).code).toBe(0);
    const done = await ackedOf(acked);
    // The mount waits for the master to come back: a create or close that met it down goes on
    // then (a reserved chunk is lost with the old master; the file is written the usual way). Only
    // a create in flight as the master died may fail (EIO): whether it was done is unknown.
    expect(done.length).toBeGreaterThanOrEqual(78);
    await cluster.waitAlive(3);
    await expectWholeFiles(cluster.masterUrl, '/m', done);
    // Chunks the old master had set aside are orphans now, deleted; every file's chunk is whole.
    await waitFor('fsck healthy', async () => ((await cluster?.gfs(['fsck']))?.code === 0 ? true : undefined), 60_000);
  });
});
