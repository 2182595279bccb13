// Truncation of one replica (the cut of a file truncate): the file and its checksums end at the
// cut, the cut bytes read as zeros even after later writes grow the chunk again, and corruption
// in the block holding the cut is reported, never re-checksummed as good.

import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkStore } from '../../../chunkserver/store/chunk-store.js';
import { CHECKSUM_BLOCK_BYTES } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import { codeOf, expectBytes, pattern } from './helpers.js';

const BLOCK = CHECKSUM_BLOCK_BYTES;

describe('ChunkStore.truncate', () => {
  let dir: string;
  let store: ChunkStore;
  const corrupted: string[] = [];

  async function openStore(): Promise<ChunkStore> {
    const opened = await ChunkStore.open({
      dataDir: dir,
      logger: silentLogger(),
      onCorruption: (handle) => corrupted.push(handle),
    });
    opened.chunkSizeBytes = 8 * BLOCK;
    return opened;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gfs-truncate-'));
    corrupted.length = 0;
    store = await openStore();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const sizeOnDisk = async (handle: string, suffix = '') => (await stat(join(dir, 'chunks', handle + suffix))).size;

  for (const cut of [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 777]) {
    it(`cuts at ${cut}: the tail reads as zeros, also after a write past it and a reopen`, async () => {
      const data = pattern(3 * BLOCK + 100, cut + 1);
      await store.setVersion('5', 1, true);
      await store.write('5', 0, [data], data.length);
      await store.truncate('5', cut);
      expect(store.sizeOf('5')).toBe(cut);
      expect(await sizeOnDisk('5')).toBe(cut);
      expect(await sizeOnDisk('5', '.crc')).toBe(Math.ceil(cut / BLOCK) * 4);
      expectBytes(
        await store.read('5', 0, data.length),
        Buffer.concat([data.subarray(0, cut), Buffer.alloc(data.length - cut)]),
      );

      // Growing the chunk again by a write past the cut leaves a hole of zeros, never the old tail.
      const tail = pattern(50, 99);
      const writeAt = 4 * BLOCK + 3;
      await store.write('5', writeAt, [tail], tail.length);
      const expected = Buffer.alloc(writeAt + tail.length);
      data.copy(expected, 0, 0, cut);
      tail.copy(expected, writeAt);
      expectBytes(await store.read('5', 0, expected.length), expected);

      await store.close();
      store = await openStore();
      expectBytes(await store.read('5', 0, expected.length), expected);
      expect(corrupted).toEqual([]);
    });
  }

  it('does nothing at or past the replica end, and refuses a cut past the chunk size', async () => {
    await store.setVersion('6', 1, true);
    await store.write('6', 0, [pattern(1000, 3)], 1000);
    await store.truncate('6', 1000);
    await store.truncate('6', 5000);
    expect(store.sizeOf('6')).toBe(1000);
    expectBytes(await store.read('6', 0, 1000), pattern(1000, 3));
    expect(await codeOf(store.truncate('6', 8 * BLOCK + 1))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.truncate('7', 0))).toBe('CHUNK_NOT_FOUND');
  });

  it('reports corruption in the block holding the cut instead of checksumming it anew', async () => {
    const data = pattern(2 * BLOCK, 8);
    await store.setVersion('8', 1, true);
    await store.write('8', 0, [data], data.length);
    const file = await open(join(dir, 'chunks', '8'), 'r+');
    await file.write(Buffer.from([(data[BLOCK + 3] ?? 0) ^ 0xff]), 0, 1, BLOCK + 3);
    await file.close();
    expect(await codeOf(store.truncate('8', BLOCK + 10))).toBe('CHECKSUM_MISMATCH');
    expect(corrupted).toEqual(['8']);
    // A cut at the block's start drops the corrupt block whole, which is fine: nothing is blessed.
    await store.truncate('8', BLOCK);
    expectBytes(await store.read('8', 0, 2 * BLOCK), Buffer.concat([data.subarray(0, BLOCK), Buffer.alloc(BLOCK)]));
  });
});
