// The SDK operations a FUSE mount needs, against a real 3-chunkserver cluster (1 MiB chunks):
// truncate (grow, shrink, shrink then grow, each replica checked byte by byte), reserveAppend from
// several clients at once, chmod and utimes across a master restart, rename replacing a file or an
// empty directory, and statfs before and after a chunkserver dies.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { readPath } from '../../shared/protocol/data.js';
import { adminHeaders } from '../harness/admin-rpc.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { chunkTokenHeaders } from '../harness/chunk-token.js';
import { TestCluster } from '../harness/cluster.js';
import { codeOfAsync } from '../harness/error-code.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = MiB;

let cluster: TestCluster;
let client: GfsClient;

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkSize: '1MiB' });
  client = new GfsClient({ master: cluster.masterUrl });
});

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
});

/** `data` with bytes [from, to) replaced by zeros, extended with zeros to `length`. */
function zeroed(data: Buffer, from: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  data.copy(out, 0, 0, Math.min(from, length));
  return out;
}

/** Chunk `index` of `path` as every one of its replicas holds it (first `length` bytes). */
async function replicaContents(path: string, index: number, length = CHUNK): Promise<Buffer[]> {
  const chunk = (await client.fileChunks(path)).find((c) => c.index === index);
  if (chunk === undefined) throw new Error(`${path} has no chunk ${index}`);
  expect(chunk.replicas).toHaveLength(3);
  return Promise.all(
    chunk.replicas.map(async (address) => {
      const response = await fetch(`http://${address}${readPath(chunk.handle, chunk.version, 0, length)}`, {
        headers: await chunkTokenHeaders(cluster.root, chunk.handle, chunk.version),
      });
      expect(response.status).toBe(200);
      return Buffer.from(await response.arrayBuffer());
    }),
  );
}

async function expectFile(path: string, expected: Buffer): Promise<void> {
  const stat = await client.stat(path);
  expect(stat.size).toBe(expected.length);
  const actual = await client.readFile(path);
  expect(actual.length).toBe(expected.length);
  expect(sha256(actual)).toBe(sha256(expected));
}

describe('truncate', () => {
  it('shrinks into a chunk (cut on every replica), grows with zeros, and a write into the hole works', async () => {
    const data = seededBytes(2 * CHUNK + CHUNK / 2, 1);
    await client.writeFile('/t1', data);
    expect((await client.stat('/t1')).chunks).toBe(3);

    const cutAt = CHUNK + 300_000;
    await client.truncate('/t1', cutAt);
    expect((await client.stat('/t1')).chunks).toBe(2);
    await expectFile('/t1', data.subarray(0, cutAt));
    const tail = Buffer.concat([data.subarray(CHUNK, cutAt), Buffer.alloc(2 * CHUNK - cutAt)]);
    for (const replica of await replicaContents('/t1', 1)) expect(sha256(replica)).toBe(sha256(tail));

    // Grow past the old end: the cut range and the new range read as zeros (no chunk is written).
    const grown = 3 * CHUNK + 5;
    await client.truncate('/t1', grown);
    expect((await client.stat('/t1')).chunks).toBe(2);
    await expectFile('/t1', zeroed(data, cutAt, grown));

    // A write into the hole allocates its chunk; everything around it still reads as zeros.
    const patch = seededBytes(1000, 2);
    const at = 2 * CHUNK + 700_000;
    const handle = await client.open('/t1', 'r+');
    await handle.write(patch, at);
    await handle.close();
    const expected = zeroed(data, cutAt, grown);
    patch.copy(expected, at);
    await expectFile('/t1', expected);
  });

  it('shrink then grow by a write past the end: the cut bytes stay zeros on every replica', async () => {
    const data = seededBytes(CHUNK + 4321, 3);
    await client.writeFile('/t2', data);
    await client.truncate('/t2', 1000);
    await expectFile('/t2', data.subarray(0, 1000));

    const patch = seededBytes(10, 4);
    const handle = await client.open('/t2', 'r+');
    await handle.write(patch, CHUNK + 5000);
    await handle.close();
    const expected = zeroed(data, 1000, CHUNK + 5010);
    patch.copy(expected, CHUNK + 5000);
    await expectFile('/t2', expected);
    for (const replica of await replicaContents('/t2', 0)) {
      expect(sha256(replica)).toBe(sha256(zeroed(data, 1000, CHUNK)));
    }
  });

  it('shrinks onto a chunk boundary and to zero, then grows again with zeros', async () => {
    const data = seededBytes(2 * CHUNK + 17, 5);
    await client.writeFile('/t3', data);
    await client.truncate('/t3', CHUNK);
    expect((await client.stat('/t3')).chunks).toBe(1);
    await client.truncate('/t3', 2 * CHUNK);
    await expectFile('/t3', zeroed(data, CHUNK, 2 * CHUNK));
    await client.truncate('/t3', 0);
    expect(await client.stat('/t3')).toMatchObject({ size: 0, chunks: 0 });
    await client.truncate('/t3', 70_000);
    await expectFile('/t3', Buffer.alloc(70_000));
  });

  it('refuses a missing path, a directory, and lengths that are not non-negative integers', async () => {
    await client.mkdir('/tdir', { recursive: true });
    await client.writeFile('/t4', 'abc');
    expect(await codeOfAsync(client.truncate('/nope', 1))).toBe('NOT_FOUND');
    expect(await codeOfAsync(client.truncate('/tdir', 1))).toBe('IS_A_DIRECTORY');
    expect(await codeOfAsync(client.truncate('/t4', -1))).toBe('INVALID_ARGUMENT');
    expect(await codeOfAsync(client.truncate('/t4', 1.5))).toBe('INVALID_ARGUMENT');
    // The master refuses them too, whoever asks.
    const response = await fetch(`${cluster.masterUrl}/ns/truncate`, {
      method: 'POST',
      headers: { ...adminHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/t4', length: -1 }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('INVALID_ARGUMENT');
    await expectFile('/t4', Buffer.from('abc'));
    // stat tells a missing path from other failures by its code (what a mount maps to ENOENT).
    expect(await codeOfAsync(client.stat('/nope'))).toBe('NOT_FOUND');
  });
});

describe('reserveAppend', () => {
  it('gives concurrent writers from several clients disjoint ranges: nothing lost, length = sum', async () => {
    await client.writeFile('/log', '');
    const clients = [0, 1, 2, 3].map(() => new GfsClient({ master: cluster.masterUrl }));
    const written: Array<{ offset: number; data: Buffer }> = [];
    try {
      await Promise.all(
        clients.map(async (writer, c) => {
          for (let i = 0; i < 6; i++) {
            // Sizes vary so records straddle chunk boundaries (1 MiB) now and then.
            const data = seededBytes(40_000 + ((c * 7 + i) % 5) * 13_001, 100 + c * 10 + i);
            const offset = await writer.reserveAppend('/log', data.length);
            const handle = await writer.open('/log', 'r+');
            await handle.write(data, offset);
            await handle.close();
            written.push({ offset, data });
          }
        }),
      );
    } finally {
      await Promise.all(clients.map((writer) => writer.close()));
    }
    const total = written.reduce((sum, w) => sum + w.data.length, 0);
    expect(total).toBeGreaterThan(CHUNK);
    const sorted = [...written].sort((a, b) => a.offset - b.offset);
    let end = 0;
    for (const w of sorted) {
      expect(w.offset).toBe(end);
      end += w.data.length;
    }
    const file = await client.readFile('/log');
    expect(file.length).toBe(total);
    for (const w of written) expect(sha256(file.subarray(w.offset, w.offset + w.data.length))).toBe(sha256(w.data));

    // Reservations are durable before they are answered: a restarted master continues after them.
    await cluster.restart(cluster.master);
    expect(await client.reserveAppend('/log', 10)).toBe(total);
    expect(await client.reserveAppend('/log', 0)).toBe(total + 10);
    expect((await client.stat('/log')).size).toBe(total + 10);
    expect(await codeOfAsync(client.reserveAppend('/log', -1))).toBe('INVALID_ARGUMENT');
    expect(await codeOfAsync(client.reserveAppend('/tdir', 1))).toBe('IS_A_DIRECTORY');
    expect(await codeOfAsync(client.reserveAppend('/missing', 1))).toBe('NOT_FOUND');
  });
});

describe("open(path, 'a')", () => {
  it('appends from several clients at once lose nothing: each write lands whole after the others', async () => {
    await client.writeFile('/alog', '');
    const clients = [0, 1, 2].map(() => new GfsClient({ master: cluster.masterUrl }));
    const lines: string[] = [];
    try {
      await Promise.all(
        clients.map(async (writer, c) => {
          const handle = await writer.open('/alog', 'a');
          for (let i = 0; i < 10; i++) {
            const line = `client ${c} line ${i} ${'x'.repeat(100 * i)}\n`;
            lines.push(line);
            await handle.write(line);
          }
          await handle.close();
        }),
      );
    } finally {
      await Promise.all(clients.map((writer) => writer.close()));
    }
    const text = (await client.readFile('/alog')).toString();
    expect(text.length).toBe(lines.reduce((sum, line) => sum + line.length, 0));
    expect(text.split('\n').slice(0, -1).sort()).toEqual(lines.map((line) => line.slice(0, -1)).sort());
  });
});

describe('chmod and utimes', () => {
  it('are visible in stat and readdir, and survive a master restart', async () => {
    await client.mkdir('/attrs', { recursive: true });
    await client.writeFile('/attrs/f', 'x');
    await client.chmod('/attrs/f', 0o600);
    await client.chmod('/attrs', 0o1777);
    const fileTime = Date.UTC(2001, 8, 9, 1, 46, 40);
    await client.utimes('/attrs/f', fileTime);
    await client.utimes('/attrs', 86_400_000);
    const check = async () => {
      expect(await client.stat('/attrs/f')).toMatchObject({
        mode: 0o600,
        mtimeMs: fileTime,
        mtime: new Date(fileTime).toISOString(),
      });
      expect(await client.stat('/attrs')).toMatchObject({ mode: 0o1777, mtimeMs: 86_400_000 });
      const [entry] = await client.readdir('/attrs');
      expect(entry).toMatchObject({ name: 'f', mode: 0o600, mtimeMs: fileTime });
    };
    await check();
    await cluster.restart(cluster.master);
    await check();
    // chmod leaves the mtime alone.
    await client.chmod('/attrs/f', 0o644);
    expect(await client.stat('/attrs/f')).toMatchObject({ mode: 0o644, mtimeMs: fileTime });

    expect(await codeOfAsync(client.chmod('/attrs/none', 0o644))).toBe('NOT_FOUND');
    expect(await codeOfAsync(client.chmod('/attrs/f', 0o10000))).toBe('INVALID_ARGUMENT');
    expect(await codeOfAsync(client.chmod('/attrs/f', -1))).toBe('INVALID_ARGUMENT');
    expect(await codeOfAsync(client.utimes('/attrs/none', 1))).toBe('NOT_FOUND');
    expect(await codeOfAsync(client.utimes('/attrs/f', Number.NaN))).toBe('INVALID_ARGUMENT');
  });
});

describe('rename', () => {
  it('replaces an existing file atomically; the replaced file goes to the trash with its chunks', async () => {
    const original = seededBytes(CHUNK + 10, 7);
    await client.writeFile('/r-old', original);
    const replacement = seededBytes(5000, 8);
    await client.writeFile('/r-new', replacement);
    const chunksBefore = (await client.status()).chunks;
    await client.rename('/r-new', '/r-old');
    await expectFile('/r-old', replacement);
    expect(await codeOfAsync(client.stat('/r-new'))).toBe('NOT_FOUND');
    // A replace is a delete (GFS §4.4): the old file's 2 chunks stay until the trash retention ends.
    expect((await client.status()).chunks).toBe(chunksBefore);
    expect((await client.trash()).map((entry) => entry.path)).toContain('/r-old');
    await client.restore('/r-old', { to: '/r-older' });
    await expectFile('/r-older', original);
  });

  it('replaces an empty directory with a directory, never a non-empty one or across types', async () => {
    await client.mkdir('/rd/src/inner', { recursive: true });
    await client.writeFile('/rd/src/inner/f', 'kept');
    await client.mkdir('/rd/empty', { recursive: true });
    await client.mkdir('/rd/full/x', { recursive: true });
    await client.writeFile('/rd/file', 'file');
    expect(await codeOfAsync(client.rename('/rd/src', '/rd/full'))).toBe('NOT_EMPTY');
    expect(await codeOfAsync(client.rename('/rd/src', '/rd/file'))).toBe('NOT_A_DIRECTORY');
    expect(await codeOfAsync(client.rename('/rd/file', '/rd/empty'))).toBe('IS_A_DIRECTORY');
    await client.rename('/rd/src', '/rd/empty');
    expect((await client.readFile('/rd/empty/inner/f')).toString()).toBe('kept');
    expect((await client.readdir('/rd')).map((e) => e.name).sort()).toEqual(['empty', 'file', 'full']);
  });
});

describe('statfs', () => {
  it('matches the live chunkservers of the status route, and shrinks when one dies', async () => {
    const liveSums = async () => {
      const status = await client.status();
      const live = status.chunkservers.filter((cs) => cs.alive);
      return {
        servers: live.length,
        files: status.files,
        capacityBytes: live.reduce((sum, cs) => sum + cs.capacityBytes, 0),
        usedBytes: live.reduce((sum, cs) => sum + cs.bytesUsed, 0),
      };
    };
    const before = await client.statfs();
    const sums = await liveSums();
    expect(sums.servers).toBe(3);
    expect(before.files).toBe(sums.files);
    expect(before.usedBytes).toBeGreaterThan(0);
    // Heartbeats refresh the disk's free space between the two calls, and other work on this
    // machine changes it: equal within a small margin.
    expect(Math.abs(before.capacityBytes - sums.capacityBytes)).toBeLessThan(sums.capacityBytes * 0.02);
    expect(before.freeBytes).toBeGreaterThan(0);
    expect(before.freeBytes).toBeLessThanOrEqual(before.capacityBytes - before.usedBytes);

    await cluster.kill(cluster.chunkservers[2] as TestCluster['chunkservers'][number]);
    await cluster.waitAlive(2);
    const after = await client.statfs();
    // Three chunkservers on one disk each count it: one fewer is about a third less.
    expect(after.capacityBytes).toBeLessThan(before.capacityBytes * 0.8);
    expect(after.freeBytes).toBeGreaterThan(0);
    expect(after.freeBytes).toBeLessThanOrEqual(after.capacityBytes - after.usedBytes);
  });
});
