// Byte-exact round trips through the real CLI and SDK against a real 3-chunkserver cluster,
// at the sizes where chunking and checksumming have edges (1 MiB chunks, 64 KiB blocks).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { chunkTokenHeaders } from '../harness/chunk-token.js';
import { TestCluster } from '../harness/cluster.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [0, 1, 64 * KiB - 1, 64 * KiB, 64 * KiB + 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 12_345];

let cluster: TestCluster;
let client: GfsClient;
let localDir: string;

beforeAll(async () => {
  cluster = await TestCluster.start({ chunkSize: '1MiB' });
  client = new GfsClient({ master: cluster.masterUrl });
  await client.mkdir('/cli', { recursive: false });
  await client.mkdir('/sdk', { recursive: false });
  localDir = await mkdtemp(join(tmpdir(), 'gfs-local-'));
});

afterAll(async () => {
  await client?.close();
  await cluster?.stop();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

describe('gfs cp / gfs cat', () => {
  for (const size of SIZES) {
    it(`round-trips ${size} bytes`, async () => {
      const data = seededBytes(size, size + 1);
      const source = join(localDir, `in-${size}`);
      await writeFile(source, data);
      const put = await cluster.gfs(['cp', source, `gfs:/cli/${size}.bin`]);
      expect(put.stderr).toBe('');
      expect(put.code).toBe(0);

      const cat = await cluster.gfs(['cat', `gfs:/cli/${size}.bin`]);
      expect(cat.code).toBe(0);
      expect(sha256(cat.stdout)).toBe(sha256(data));

      const back = join(localDir, `out-${size}`);
      expect((await cluster.gfs(['cp', `gfs:/cli/${size}.bin`, back])).code).toBe(0);
      expect(sha256(await readFile(back))).toBe(sha256(data));

      const stat = await cluster.gfs(['stat', '--json', `gfs:/cli/${size}.bin`]);
      expect(JSON.parse(stat.stdout.toString())).toMatchObject({ path: `/cli/${size}.bin`, type: 'file', size });
    });
  }

  it('copies stdin to a file and a file to stdout with -', async () => {
    const data = seededBytes(2 * MiB + 7, 99);
    expect((await cluster.gfs(['cp', '-', 'gfs:/cli/stdin.bin'], { input: data })).code).toBe(0);
    const out = await cluster.gfs(['cp', 'gfs:/cli/stdin.bin', '-']);
    expect(sha256(out.stdout)).toBe(sha256(data));
  });
});

describe('SDK', () => {
  for (const size of SIZES) {
    it(`writeFile/readFile round-trips ${size} bytes`, async () => {
      const data = seededBytes(size, size + 1000);
      await client.writeFile(`/sdk/${size}.bin`, data);
      expect(sha256(await client.readFile(`/sdk/${size}.bin`))).toBe(sha256(data));
      expect((await client.stat(`/sdk/${size}.bin`)).size).toBe(size);
    });
  }

  it('overwrites a range in the middle of a file, across a chunk boundary', async () => {
    const original = seededBytes(3 * MiB, 7);
    await client.writeFile('/sdk/overwrite.bin', original);
    const patch = seededBytes(200 * KiB + 3, 8);
    const position = MiB - 100 * KiB;
    const handle = await client.open('/sdk/overwrite.bin', 'r+');
    await handle.write(patch, position);
    await handle.close();

    const expected = Buffer.from(original);
    patch.copy(expected, position);
    const actual = await client.readFile('/sdk/overwrite.bin');
    expect(actual.length).toBe(original.length);
    expect(sha256(actual)).toBe(sha256(expected));
  });

  it('reads into a caller buffer across chunk boundaries, through a hole and up to the end', async () => {
    const data = seededBytes(2 * MiB + 5, 12);
    await client.writeFile('/sdk/read-into.bin', data);
    const handle = await client.open('/sdk/read-into.bin', 'r+');
    // A hole past the end: it reads as zeros (its chunk was never written).
    await handle.write(Buffer.from('tail'), 4 * MiB);
    const into = Buffer.alloc(MiB + 300 * KiB, 0xee);
    expect(await handle.readInto(into, MiB - 100 * KiB)).toBe(into.byteLength);
    expect(sha256(into.subarray(0, MiB + 100 * KiB + 5))).toBe(sha256(data.subarray(MiB - 100 * KiB)));
    expect(into.subarray(MiB + 100 * KiB + 5).every((byte) => byte === 0)).toBe(true);
    const atEnd = Buffer.alloc(10, 0xee);
    expect(await handle.readInto(atEnd, 4 * MiB + 1)).toBe(3);
    expect(atEnd.subarray(0, 3).toString()).toBe('ail');
    expect(await handle.readInto(atEnd, 5 * MiB)).toBe(0);
    await handle.close();
  });

  it('streams a ranged read', async () => {
    const data = seededBytes(2 * MiB + 5, 11);
    await client.writeFile('/sdk/range.bin', data);
    const pieces: Buffer[] = [];
    for await (const piece of client.createReadStream('/sdk/range.bin', { start: 1000, end: MiB + 999 })) {
      pieces.push(piece as Buffer);
    }
    expect(sha256(Buffer.concat(pieces))).toBe(sha256(data.subarray(1000, MiB + 1000)));
  });

  it('writes through a write stream with backpressure', async () => {
    const data = seededBytes(5 * MiB + 1, 12);
    const stream = client.createWriteStream('/sdk/stream.bin');
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', resolve);
      for (let offset = 0; offset < data.length; offset += 300 * KiB) {
        stream.write(data.subarray(offset, offset + 300 * KiB));
      }
      stream.end();
    });
    expect(sha256(await client.readFile('/sdk/stream.bin'))).toBe(sha256(data));
  });
});

describe('concurrent writers', () => {
  it('overlapping writes from several clients leave every replica identical (consistent)', async () => {
    const size = 2 * MiB;
    await client.writeFile('/sdk/contended.bin', Buffer.alloc(size));
    const writers = [1, 2, 3].map(() => new GfsClient({ master: cluster.masterUrl }));
    try {
      await Promise.all(
        writers.map(async (writer, i) => {
          const handle = await writer.open('/sdk/contended.bin', 'r+');
          for (let round = 0; round < 4; round++) {
            // Overlapping ranges that straddle the chunk boundary at 1 MiB.
            await handle.write(seededBytes(700 * KiB, 100 + i * 10 + round), MiB - 350 * KiB + (i - 1) * 100 * KiB);
          }
          await handle.close();
        }),
      );
    } finally {
      await Promise.all(writers.map((writer) => writer.close()));
    }
    const chunks = await client.fileChunks('/sdk/contended.bin');
    expect(chunks).toHaveLength(2);
    for (const chunk of chunks) {
      expect(chunk.replicas).toHaveLength(3);
      const digests = new Set<string>();
      for (const replica of chunk.replicas) {
        const response = await fetch(
          `http://${replica}/chunk/${chunk.handle}?version=${chunk.version}&offset=0&length=${MiB}`,
          { headers: await chunkTokenHeaders(cluster.root, chunk.handle, chunk.version) },
        );
        expect(response.status).toBe(200);
        digests.add(sha256(Buffer.from(await response.arrayBuffer())));
      }
      expect(digests.size, `replicas of chunk ${chunk.handle} differ`).toBe(1);
    }
  });
});
