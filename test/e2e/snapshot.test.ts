// Snapshots on real processes (issue 5 item 6, DESIGN §3): `gfs snapshot` of a directory of
// multi-chunk files, then every kind of mutation of the originals (an overwrite with `gfs cp`, a
// write into the middle, an O_APPEND write, a record append with `gfs append`, a truncate). The
// snapshot reads back byte for byte as before, and the chunkservers' disks show that only the
// chunks actually written were copied: every other chunk is still one set of replica files shared
// by both sides. Also: a single file, deleting either side, errors, and a master restart (log
// replay) and checkpoint. Waits poll with deadlines.

import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { type ClusterOptions, TestCluster } from '../harness/cluster.js';
import { codeOfAsync } from '../harness/error-code.js';
import { InProcessCluster } from '../harness/in-process.js';
import { waitFor } from '../harness/wait.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = MiB;
const REPLICAS = 3;

let cluster: TestCluster | undefined;
let inProcess: InProcessCluster | undefined;
let client: GfsClient | undefined;

afterEach(async () => {
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
  await inProcess?.stop();
  inProcess = undefined;
});

async function start(options: ClusterOptions = {}): Promise<{ cluster: TestCluster; client: GfsClient }> {
  cluster = await TestCluster.start({ chunkservers: 3, chunkSize: '1MiB', replication: REPLICAS, ...options });
  client = new GfsClient({ master: cluster.masterUrl });
  return { cluster, client };
}

async function gfsOk(cluster: TestCluster, args: readonly string[], input?: string): Promise<string> {
  const result = await cluster.gfs(args, input === undefined ? {} : { input });
  expect(result.code, `gfs ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout.toString();
}

async function handlesOf(client: GfsClient, path: string): Promise<string[]> {
  return (await client.fileChunks(path)).map((chunk) => chunk.handle);
}

/** handle → replica data files (named by the handle) on all the chunkservers' disks. */
async function dataFilesOnDisk(cluster: TestCluster): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const node of cluster.chunkservers) {
    for (const name of await readdir(join(node.dataDir, 'chunks'))) {
      if (/^\d+$/.test(name)) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return counts;
}

function total(counts: Map<string, number>): number {
  let sum = 0;
  for (const count of counts.values()) sum += count;
  return sum;
}

async function digestOf(client: GfsClient, path: string): Promise<string> {
  return sha256(await client.readFile(path));
}

/** The indexes at which two handle lists differ (and those only one of them has). */
function changedIndexes(before: readonly string[], after: readonly string[]): number[] {
  const changed: number[] = [];
  for (let i = 0; i < Math.max(before.length, after.length); i++) if (before[i] !== after[i]) changed.push(i);
  return changed;
}

describe('gfs snapshot of a directory tree', () => {
  it('keeps the snapshot unchanged through every kind of write to the originals, copying only written chunks', async () => {
    const { cluster, client } = await start();
    const contents: Record<string, Buffer> = {
      '/src/a.bin': seededBytes(3 * CHUNK - 1000, 1),
      '/src/b.bin': seededBytes(3 * CHUNK, 2),
      '/src/c.bin': seededBytes(2 * CHUNK + CHUNK / 2, 3),
      '/src/d.bin': seededBytes(3 * CHUNK + 5, 4),
      '/src/sub/f.bin': seededBytes(CHUNK + 200 * KiB, 5),
    };
    await client.mkdir('/src/sub', { recursive: true });
    for (const [path, data] of Object.entries(contents)) await client.writeFile(path, data);
    // A record log over three chunks: 200 KiB records, five to a 1 MiB chunk.
    const records = Array.from({ length: 12 }, (_, i) => seededBytes(200 * KiB, 100 + i));
    for (const record of records) await client.recordAppend('/src/e.log', record);
    const files = [...Object.keys(contents), '/src/e.log'];
    const digests = new Map<string, string>();
    const handles = new Map<string, string[]>();
    for (const path of files) {
      digests.set(path, await digestOf(client, path));
      handles.set(path, await handlesOf(client, path));
    }
    expect(handles.get('/src/e.log')).toHaveLength(3);
    const diskBefore = await dataFilesOnDisk(cluster);
    const chunksBefore = [...handles.values()].flat();
    expect(total(diskBefore)).toBe(chunksBefore.length * REPLICAS);

    expect(await gfsOk(cluster, ['snapshot', 'gfs:/src', 'gfs:/snap'])).toBe('');

    // Readable at once, the same bytes, the same chunks, and no replica file copied.
    const snapOf = (path: string) => path.replace(/^\/src/, '/snap');
    // Every entry with its mode, replication, size and mtime (a snapshot keeps them).
    const listing = await gfsOk(cluster, ['ls', '-l', '-R', 'gfs:/src']);
    expect(listing).toContain('e.log');
    expect((await gfsOk(cluster, ['ls', '-l', '-R', 'gfs:/snap'])).replaceAll('/snap', '/src')).toBe(listing);
    for (const path of files) {
      expect(await digestOf(client, snapOf(path)), snapOf(path)).toBe(digests.get(path));
      expect(await handlesOf(client, snapOf(path))).toEqual(handles.get(path));
    }
    expect(await dataFilesOnDisk(cluster)).toEqual(diskBefore);

    // Every kind of mutation of the originals.
    const newA = seededBytes(2 * CHUNK + 300 * KiB, 6);
    const localA = join(cluster.root, 'a-new.bin');
    await writeFile(localA, newA);
    await gfsOk(cluster, ['cp', localA, 'gfs:/src/a.bin']);

    const patch = seededBytes(200 * KiB, 7);
    const patchAt = CHUNK + 300 * KiB;
    const b = await client.open('/src/b.bin', 'r+');
    await b.write(patch, patchAt);
    await b.close();

    const tail = seededBytes(100 * KiB, 8);
    const c = await client.open('/src/c.bin', 'a');
    await c.write(tail);
    await c.close();

    const cutAt = CHUNK + CHUNK / 2;
    await client.truncate('/src/d.bin', cutAt);

    await gfsOk(cluster, ['append', '--lines', 'gfs:/src/e.log'], 'after\nthe snapshot\n');

    // The snapshot is unchanged, byte for byte, and still names the same chunks.
    for (const path of files) {
      expect(await digestOf(client, snapOf(path)), snapOf(path)).toBe(digests.get(path));
      expect(await handlesOf(client, snapOf(path))).toEqual(handles.get(path));
    }
    const snapshotRecords: Buffer[] = [];
    for await (const record of client.records('/snap/e.log')) snapshotRecords.push(record.data);
    expect(snapshotRecords.map(sha256)).toEqual(records.map(sha256));

    // The originals show what was written.
    const expectedB = Buffer.from(contents['/src/b.bin'] as Buffer);
    patch.copy(expectedB, patchAt);
    const expected: Record<string, Buffer> = {
      '/src/a.bin': newA,
      '/src/b.bin': expectedB,
      '/src/c.bin': Buffer.concat([contents['/src/c.bin'] as Buffer, tail]),
      '/src/d.bin': (contents['/src/d.bin'] as Buffer).subarray(0, cutAt),
      '/src/sub/f.bin': contents['/src/sub/f.bin'] as Buffer,
    };
    for (const [path, data] of Object.entries(expected)) expect(await digestOf(client, path), path).toBe(sha256(data));
    const originalRecords: string[] = [];
    for await (const record of client.records('/src/e.log')) originalRecords.push(sha256(record.data));
    expect(originalRecords).toEqual([...records, Buffer.from('after'), Buffer.from('the snapshot')].map(sha256));

    // Only the written chunks changed handle: b's chunk 1, c's and e's last chunk, d's cut chunk 1
    // (d let go of chunks 2 and 3, which the snapshot still holds); a is a new file; f untouched.
    const after = new Map<string, string[]>();
    for (const path of files) after.set(path, await handlesOf(client, path));
    const changed = (path: string) => changedIndexes(handles.get(path) ?? [], after.get(path) ?? []);
    expect(changed('/src/b.bin')).toEqual([1]);
    expect(changed('/src/c.bin')).toEqual([2]);
    expect(changed('/src/d.bin')).toEqual([1, 2, 3]);
    expect(after.get('/src/d.bin')).toHaveLength(2);
    expect(changed('/src/e.log')).toEqual([2]);
    expect(changed('/src/sub/f.bin')).toEqual([]);
    const newHandles = [...after.values()].flat().filter((handle) => !chunksBefore.includes(handle));
    expect(after.get('/src/a.bin')?.every((handle) => newHandles.includes(handle))).toBe(true);
    expect(newHandles).toHaveLength(3 + 1 + 1 + 1 + 1);

    // On disk: every earlier chunk still has exactly its replica files (shared, not copied), and
    // the only new files are the replicas of those new chunks.
    await waitFor('the new chunks to have all their replicas', async () => {
      const disk = await dataFilesOnDisk(cluster);
      return total(disk) === total(diskBefore) + newHandles.length * REPLICAS ? disk : undefined;
    });
    const diskAfter = await dataFilesOnDisk(cluster);
    for (const [handle, count] of diskBefore) expect(diskAfter.get(handle), handle).toBe(count);
    for (const handle of newHandles) expect(diskAfter.get(handle), handle).toBe(REPLICAS);
    expect(diskAfter.size).toBe(diskBefore.size + newHandles.length);
    expect(await gfsOk(cluster, ['fsck'])).toMatch(/healthy/);
  });
});

describe('gfs snapshot of a file', () => {
  it('is readable at once; either side deleted leaves the other whole; replicas go with the last reference', async () => {
    const { cluster, client } = await start({ trashRetention: '0' });
    const data = seededBytes(2 * CHUNK + 4321, 11);
    await client.writeFile('/f.bin', data);
    const shared = await handlesOf(client, '/f.bin');
    await client.snapshot('/f.bin', '/g.bin');
    expect(sha256(await client.readFile('/g.bin'))).toBe(sha256(data));
    expect((await client.stat('/g.bin')).size).toBe(data.length);

    // A write to the snapshot copies its chunk 0; the original is untouched.
    const g = await client.open('/g.bin', 'r+');
    await g.write(Buffer.from('snapshot side'), 10);
    await g.close();
    const expectedG = Buffer.from(data);
    Buffer.from('snapshot side').copy(expectedG, 10);
    expect(sha256(await client.readFile('/f.bin'))).toBe(sha256(data));
    expect(sha256(await client.readFile('/g.bin'))).toBe(sha256(expectedG));
    const gHandles = await handlesOf(client, '/g.bin');
    expect(changedIndexes(shared, gHandles)).toEqual([0]);
    const copy = gHandles[0] as string;

    // Deleting the original (no trash here): its shared chunks stay for the snapshot, only f's
    // own chunk 0 goes from the disks.
    await gfsOk(cluster, ['rm', 'gfs:/f.bin']);
    await waitFor('the original-only chunk to be deleted', async () => {
      const disk = await dataFilesOnDisk(cluster);
      return disk.has(shared[0] as string) ? undefined : disk;
    });
    const disk = await dataFilesOnDisk(cluster);
    for (const handle of [copy, ...shared.slice(1)]) expect(disk.get(handle), handle).toBe(REPLICAS);
    expect(sha256(await client.readFile('/g.bin'))).toBe(sha256(expectedG));
    expect(await gfsOk(cluster, ['fsck'])).toBe('3 chunks checked: healthy\n');

    // The last reference gone: every replica file goes.
    await client.rm('/g.bin');
    await waitFor('every replica file to be deleted', async () =>
      (await dataFilesOnDisk(cluster)).size === 0 ? true : undefined,
    );
  });

  it('refuses an existing destination, a missing source, a destination inside the source, and bad usage', async () => {
    const { cluster, client } = await start();
    await client.mkdir('/d/sub', { recursive: true });
    await client.writeFile('/d/x', 'x');
    await client.writeFile('/y', 'y');

    const exists = await cluster.gfs(['snapshot', 'gfs:/d', 'gfs:/y']);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toBe('gfs: path exists: /y\n');
    const missing = await cluster.gfs(['snapshot', 'gfs:/nope', 'gfs:/z']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^gfs: .*: \/nope\n$/);
    const inside = await cluster.gfs(['snapshot', 'gfs:/d', 'gfs:/d/sub/copy']);
    expect(inside.code).toBe(1);
    expect(inside.stderr).toBe('gfs: cannot snapshot a directory into itself: /d/sub/copy\n');
    expect((await cluster.gfs(['snapshot', 'gfs:/d'])).code).toBe(2);

    expect(await codeOfAsync(client.snapshot('/d', '/y'))).toBe('ALREADY_EXISTS');
    expect(await codeOfAsync(client.snapshot('/nope', '/z'))).toBe('NOT_FOUND');
    expect(await codeOfAsync(client.snapshot('/d', '/d/copy'))).toBe('INVALID_ARGUMENT');
    expect(await codeOfAsync(client.snapshot('/d', '/y/copy'))).toBe('NOT_A_DIRECTORY');
    expect(await codeOfAsync(client.snapshot('/d', '/no/copy'))).toBe('NOT_FOUND');
    expect(await codeOfAsync(client.snapshot('/.gfs-trash', '/t'))).toBe('NOT_FOUND');
    expect(await codeOfAsync(client.snapshot('/d', '/.gfs-trash/t'))).toBe('INVALID_PATH');
    // Nothing was created by the refusals.
    expect((await client.readdir('/')).map((entry) => entry.name).sort()).toEqual(['d', 'y']);
  });
});

describe('a snapshot across master restarts', () => {
  it('survives a SIGKILL of the master (log replay): shared chunks still copy on write', async () => {
    const { cluster, client } = await start();
    const data = seededBytes(2 * CHUNK + 10, 21);
    await client.mkdir('/src');
    await client.writeFile('/src/f', data);
    const shared = await handlesOf(client, '/src/f');
    await client.snapshot('/src', '/snap');

    await cluster.restart(cluster.master);
    await cluster.waitAlive(3);
    expect(sha256(await client.readFile('/snap/f'))).toBe(sha256(data));
    expect(await handlesOf(client, '/snap/f')).toEqual(shared);

    const patch = seededBytes(5000, 22);
    const handle = await client.open('/src/f', 'r+');
    await handle.write(patch, CHUNK + 100);
    await handle.close();
    const expected = Buffer.from(data);
    patch.copy(expected, CHUNK + 100);
    expect(sha256(await client.readFile('/src/f'))).toBe(sha256(expected));
    expect(sha256(await client.readFile('/snap/f'))).toBe(sha256(data));
    expect(changedIndexes(shared, await handlesOf(client, '/src/f'))).toEqual([1]);
  });

  it('survives a restart from a checkpoint taken after the snapshot and a copy', async () => {
    inProcess = await InProcessCluster.start(3, { checkpointEveryRecords: 5 });
    client = new GfsClient({ master: inProcess.masterUrl });
    const data = seededBytes(CHUNK + 77, 31);
    await client.writeFile('/f', data);
    await client.snapshot('/f', '/g');
    const shared = await handlesOf(client, '/f');
    const handle = await client.open('/f', 'r+');
    await handle.write(Buffer.from('changed'), 0);
    await handle.close();
    // Enough records for a checkpoint after the copy-on-write.
    for (let i = 0; i < 6; i++) await client.mkdir(`/pad${i}`);
    const checkpoints = (await readdir(inProcess.masterDataDir)).filter((name) => name.startsWith('checkpoint-'));
    expect(checkpoints.length).toBeGreaterThan(0);

    await client.close();
    await inProcess.stopMaster();
    await inProcess.startMaster();
    await inProcess.waitAlive(3);
    client = new GfsClient({ master: inProcess.masterUrl });
    const expected = Buffer.from(data);
    Buffer.from('changed').copy(expected, 0);
    expect(sha256(await client.readFile('/f'))).toBe(sha256(expected));
    expect(sha256(await client.readFile('/g'))).toBe(sha256(data));
    expect(await handlesOf(client, '/g')).toEqual(shared);
    // Chunk 1 is still shared after the checkpoint: a write to it copies it.
    const again = await client.open('/g', 'r+');
    await again.write(Buffer.from('g side'), CHUNK + 1);
    await again.close();
    expect(changedIndexes(shared, await handlesOf(client, '/g'))).toEqual([1]);
    expect(sha256(await client.readFile('/f'))).toBe(sha256(expected));
  });
});
