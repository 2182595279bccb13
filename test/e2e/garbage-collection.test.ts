// Garbage collection on real processes (issue 5 item 5, GFS §4.4): `gfs rm` moves files and
// directory trees to the hidden trash; `gfs ls` no longer shows them, `gfs trash` does, and
// `gfs restore` brings them back byte for byte (also across a master restart). Once the
// retention is over the master purges them and every chunkserver deletes their chunk files.
// Waits poll with deadlines.

import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { type ClusterOptions, TestCluster } from '../harness/cluster.js';
import { waitFor } from '../harness/wait.js';

const MiB = 1024 * 1024;
/** Retention (2 s), a sweep (1 s) and a heartbeat reply (200 ms) fit well inside. */
const PURGE_DEADLINE_MS = 60_000;

let cluster: TestCluster | undefined;
let client: GfsClient | undefined;
const localFiles: string[] = [];

afterEach(async () => {
  await client?.close();
  client = undefined;
  await cluster?.stop();
  cluster = undefined;
  localFiles.length = 0;
});

async function start(options: ClusterOptions): Promise<{ cluster: TestCluster; client: GfsClient }> {
  cluster = await TestCluster.start({ chunkservers: 3, chunkSize: '1MiB', replication: 3, ...options });
  client = new GfsClient({ master: cluster.masterUrl });
  return { cluster, client };
}

interface TrashJson {
  path: string;
  type: 'file' | 'dir';
  size: number;
  files: number;
  deletedAt: string;
  expiresAt: string;
}

async function gfsOk(cluster: TestCluster, args: readonly string[]): Promise<string> {
  const result = await cluster.gfs(args);
  expect(result.code, `gfs ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout.toString();
}

async function trashJson(cluster: TestCluster): Promise<TrashJson[]> {
  return JSON.parse(await gfsOk(cluster, ['trash', '--json'])) as TrashJson[];
}

/** Writes files of the given sizes and returns path → sha256. */
async function writeFiles(client: GfsClient, files: Record<string, number>): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  let seed = 1;
  for (const [path, size] of Object.entries(files)) {
    const data = seededBytes(size, seed++);
    await client.mkdir(path.slice(0, path.lastIndexOf('/')) || '/', { recursive: true });
    await client.writeFile(path, data);
    digests.set(path, sha256(data));
  }
  return digests;
}

async function handlesOf(client: GfsClient, paths: Iterable<string>): Promise<string[]> {
  const handles: string[] = [];
  for (const path of paths) for (const chunk of await client.fileChunks(path)) handles.push(chunk.handle);
  return handles;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Chunk files (data, checksums, version) of these handles on each chunkserver's disk. */
async function chunkFilesOnDisk(cluster: TestCluster, handles: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const node of cluster.chunkservers) {
    for (const handle of handles) {
      for (const suffix of ['', '.crc', '.version']) {
        const path = join(node.dataDir, 'chunks', `${handle}${suffix}`);
        if (await exists(path)) found.push(`${node.name}/${handle}${suffix}`);
      }
    }
  }
  return found;
}

async function expectContent(client: GfsClient, path: string, digest: string | undefined): Promise<void> {
  expect(sha256(await client.readFile(path)), path).toBe(digest);
}

describe('the trash', () => {
  it('rm moves files and trees out of sight into gfs trash; gfs restore brings them back identical', async () => {
    const { cluster, client } = await start({ trashRetention: '1h' });
    const digests = await writeFiles(client, {
      '/top.bin': 700 * 1024,
      '/docs/a.bin': 2 * MiB + MiB / 2,
      '/docs/sub/b.bin': MiB + 3,
    });
    const handles = await handlesOf(client, digests.keys());
    expect(handles).toHaveLength(6);
    const before = Date.now();
    await gfsOk(cluster, ['rm', 'gfs:/top.bin']);
    await gfsOk(cluster, ['rm', '-r', 'gfs:/docs']);

    // Gone from the namespace, and the trash itself is not shown.
    expect(await gfsOk(cluster, ['ls', 'gfs:/'])).toBe('');
    expect(JSON.parse(await gfsOk(cluster, ['ls', '--json', 'gfs:/']))).toEqual([]);
    expect((await cluster.gfs(['stat', 'gfs:/docs/a.bin'])).code).toBe(1);
    // `gfs trash`: one trashed path per line with its deletion time, oldest first.
    const lines = (await gfsOk(cluster, ['trash'])).trimEnd().split('\n');
    expect(lines.map((line) => line.split('\t')[0])).toEqual(['/top.bin', '/docs']);
    for (const line of lines) {
      const deletedAt = Date.parse(line.split('\t')[1] ?? '');
      expect(deletedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(deletedAt).toBeLessThanOrEqual(Date.now());
    }
    // With a path, only what was deleted at or below it.
    expect(await gfsOk(cluster, ['trash', 'gfs:/docs'])).toBe(`${lines[1]}\n`);
    const trash = await trashJson(cluster);
    expect(trash.map(({ path, type, size, files }) => ({ path, type, size, files }))).toEqual([
      { path: '/top.bin', type: 'file', size: 700 * 1024, files: 1 },
      { path: '/docs', type: 'dir', size: 2 * MiB + MiB / 2 + MiB + 3, files: 2 },
    ]);
    expect(Date.parse(trash[0]?.expiresAt ?? '') - Date.parse(trash[0]?.deletedAt ?? '')).toBe(3_600_000);
    // Trashed files keep their chunks (and fsck checks them), and status says what it counts.
    expect(await chunkFilesOnDisk(cluster, handles)).toHaveLength(6 * 3 * 3);
    expect(await gfsOk(cluster, ['fsck'])).toBe('6 chunks checked: healthy\n');
    expect(JSON.parse(await gfsOk(cluster, ['status', '--json']))).toMatchObject({ files: 0, chunks: 6 });
    expect(await gfsOk(cluster, ['status'])).toMatch(/^files: 0 {2}in trash: 3 {2}chunks: 6 /m);

    // Restore a file, and one file from inside the trashed tree (its parents come back too).
    await gfsOk(cluster, ['restore', 'gfs:/top.bin']);
    await gfsOk(cluster, ['restore', 'gfs:/docs/sub/b.bin']);
    await expectContent(client, '/top.bin', digests.get('/top.bin'));
    await expectContent(client, '/docs/sub/b.bin', digests.get('/docs/sub/b.bin'));
    expect((await trashJson(cluster)).map((entry) => entry.path)).toEqual(['/docs']);

    // An existing path is never overwritten: refused, or restored elsewhere with --to.
    const refused = await cluster.gfs(['restore', 'gfs:/docs']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^gfs: .*exists.*: \/docs$/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    await gfsOk(cluster, ['restore', 'gfs:/docs', '--to', 'gfs:/docs-back']);
    await expectContent(client, '/docs-back/a.bin', digests.get('/docs/a.bin'));
    expect(await trashJson(cluster)).toEqual([]);
    const missing = await cluster.gfs(['restore', 'gfs:/never']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not in the trash: \/never/);

    // An overwrite (gfs cp onto a file) is a delete too: the replaced version is in the trash.
    const replacement = seededBytes(5000, 99);
    const local = join(cluster.root, 'replacement.bin');
    await writeFile(local, replacement);
    await gfsOk(cluster, ['cp', local, 'gfs:/top.bin']);
    await expectContent(client, '/top.bin', sha256(replacement));
    expect((await trashJson(cluster)).map((entry) => entry.path)).toEqual(['/top.bin']);
    await gfsOk(cluster, ['restore', 'gfs:/top.bin', '--to', 'gfs:/top.previous']);
    await expectContent(client, '/top.previous', digests.get('/top.bin'));
    expect(await gfsOk(cluster, ['trash'])).toBe('');
  });

  it('after the retention the trashed files leave the namespace and their chunk files every disk', async () => {
    const { cluster, client } = await start({ trashRetention: '2s' });
    const digests = await writeFiles(client, { '/gc/a.bin': 3 * MiB + 5, '/gc/b.bin': MiB, '/kept.bin': 1000 });
    const handles = await handlesOf(client, ['/gc/a.bin', '/gc/b.bin']);
    const kept = await handlesOf(client, ['/kept.bin']);
    expect(await chunkFilesOnDisk(cluster, handles)).toHaveLength(handles.length * 3 * 3);
    await gfsOk(cluster, ['rm', '-r', 'gfs:/gc']);
    expect(await gfsOk(cluster, ['ls', 'gfs:/'])).toBe('kept.bin\n');

    await waitFor(
      'the trashed chunks to vanish from every chunkserver',
      async () => ((await chunkFilesOnDisk(cluster, handles)).length === 0 ? true : undefined),
      PURGE_DEADLINE_MS,
      200,
    );
    expect(await trashJson(cluster)).toEqual([]);
    expect(JSON.parse(await gfsOk(cluster, ['status', '--json']))).toMatchObject({ files: 1, chunks: 1 });
    // What was not deleted is untouched.
    expect(await chunkFilesOnDisk(cluster, kept)).toHaveLength(3 * 3);
    await expectContent(client, '/kept.bin', digests.get('/kept.bin'));
    expect(await gfsOk(cluster, ['fsck'])).toBe('1 chunks checked: healthy\n');
  });
});

describe('the trash across a master restart', () => {
  it('survives a SIGKILL of the master, restores after it, and is swept by deletion time', async () => {
    const { cluster, client } = await start({ trashRetention: '1h' });
    const digests = await writeFiles(client, { '/r/keep.bin': 2 * MiB, '/r/gone.bin': MiB + 1 });
    const goneHandles = await handlesOf(client, ['/r/gone.bin']);
    const keepHandles = await handlesOf(client, ['/r/keep.bin']);
    await gfsOk(cluster, ['rm', 'gfs:/r/gone.bin']);
    await gfsOk(cluster, ['rm', 'gfs:/r/keep.bin']);
    const before = await trashJson(cluster);
    expect(before.map((entry) => entry.path)).toEqual(['/r/gone.bin', '/r/keep.bin']);

    await cluster.restart(cluster.master);
    await cluster.waitReady();
    // Still in the trash, with the same deletion times (the delete records are in the op log).
    expect(await trashJson(cluster)).toEqual(before);
    await gfsOk(cluster, ['restore', 'gfs:/r/keep.bin']);
    await expectContent(client, '/r/keep.bin', digests.get('/r/keep.bin'));

    // A shorter retention at the next start: the retention counts from the logged deletion
    // time, so the sweep after the restart purges what is older than it.
    cluster.setMasterFlag('--trash-retention', '2s');
    await cluster.restart(cluster.master);
    await cluster.waitReady();
    await waitFor(
      'the trashed chunks to vanish after the restart',
      async () => ((await chunkFilesOnDisk(cluster, goneHandles)).length === 0 ? true : undefined),
      PURGE_DEADLINE_MS,
      200,
    );
    expect(await trashJson(cluster)).toEqual([]);
    expect(await chunkFilesOnDisk(cluster, keepHandles)).toHaveLength(keepHandles.length * 3 * 3);
    await expectContent(client, '/r/keep.bin', digests.get('/r/keep.bin'));
  });
});
