import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChunkStore } from '../../../chunkserver/store/chunk-store.js';
import { isValidHandle } from '../../../chunkserver/store/handle.js';
import { CHECKSUM_BLOCK_BYTES } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import { codeOf, expectBytes, pattern } from './helpers.js';

const BLOCK = CHECKSUM_BLOCK_BYTES;

describe('ChunkStore', () => {
  let dir: string;
  let store: ChunkStore;
  const corrupted: string[] = [];

  async function openStore(): Promise<ChunkStore> {
    return ChunkStore.open({ dataDir: dir, logger: silentLogger(), onCorruption: (h) => corrupted.push(h) });
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gfs-store-'));
    corrupted.length = 0;
    store = await openStore();
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips writes at unaligned offsets spanning blocks, split into pieces', async () => {
    await store.setVersion('7', 1, true);
    const model = Buffer.alloc(5 * BLOCK);
    const writes: [number, number][] = [
      [100, 3 * BLOCK + 17],
      [BLOCK - 5, 10],
      [2 * BLOCK + 1, BLOCK],
      [0, 1],
      [4 * BLOCK - 3, BLOCK + 3],
    ];
    let seed = 1;
    for (const [offset, length] of writes) {
      const data = pattern(length, seed++);
      const cut = Math.floor(length / 3);
      await store.write('7', offset, [data.subarray(0, cut), data.subarray(cut)], length);
      data.copy(model, offset);
    }
    expectBytes(await store.read('7', 0, model.length), model);
    expectBytes(await store.read('7', BLOCK + 11, 2 * BLOCK), model.subarray(BLOCK + 11, 3 * BLOCK + 11));
    expect(store.reports()).toEqual([{ handle: '7', version: 1, size: 5 * BLOCK }]);
  });

  it('reads zeros in holes and past the end, and keeps the file sparse in size', async () => {
    await store.setVersion('8', 3, true);
    const data = pattern(1000, 9);
    await store.write('8', 100, [data], 1000);
    await store.write('8', 5 * BLOCK + 7, [data], 1000);
    const whole = await store.read('8', 0, 8 * BLOCK);
    expectBytes(whole.subarray(0, 100), Buffer.alloc(100));
    expectBytes(whole.subarray(100, 1100), data);
    expectBytes(whole.subarray(1100, 5 * BLOCK + 7), Buffer.alloc(5 * BLOCK + 7 - 1100));
    expectBytes(whole.subarray(5 * BLOCK + 7, 5 * BLOCK + 1007), data);
    expectBytes(whole.subarray(5 * BLOCK + 1007), Buffer.alloc(3 * BLOCK - 1007));
    expect((await stat(join(dir, 'chunks', '8'))).size).toBe(5 * BLOCK + 1007);
    expectBytes(await store.read('8', 7 * BLOCK, 10), Buffer.alloc(10));
  });

  it('reports CHECKSUM_MISMATCH for a flipped byte, on reads and on partial-block writes', async () => {
    await store.setVersion('9', 1, true);
    await store.write('9', 0, [pattern(3 * BLOCK, 4)], 3 * BLOCK);
    const file = await open(join(dir, 'chunks', '9'), 'r+');
    await file.write(Buffer.from([0xff ^ (pattern(BLOCK + 10, 4)[BLOCK + 5] ?? 0)]), 0, 1, BLOCK + 5);
    await file.close();
    expectBytes(await store.read('9', 0, 100), pattern(100, 4));
    expect(await codeOf(store.read('9', BLOCK, 10))).toBe('CHECKSUM_MISMATCH');
    expect(await codeOf(store.write('9', BLOCK + 100, [Buffer.from('x')], 1))).toBe('CHECKSUM_MISMATCH');
    expect(corrupted).toEqual(['9', '9']);
    // A write covering the whole block replaces it and heals the checksum.
    await store.write('9', BLOCK, [Buffer.alloc(BLOCK, 1)], BLOCK);
    expectBytes(await store.read('9', BLOCK, 4), Buffer.alloc(4, 1));
  });

  it('appends at the end of a partial block by extending its checksum; old corruption still shows', async () => {
    await store.setVersion('10', 1, true);
    const model = Buffer.alloc(2 * BLOCK + 300);
    const appends = [100, 5000, BLOCK - 5100 + 7, BLOCK, 293];
    let at = 0;
    for (const [i, length] of appends.entries()) {
      const data = pattern(length, 20 + i);
      await store.write('10', at, [data.subarray(0, 10), data.subarray(10)], length);
      data.copy(model, at);
      at += length;
    }
    expect(store.sizeOf('10')).toBe(at);
    expectBytes(await store.read('10', 0, at), model.subarray(0, at));
    await store.close();
    store = await openStore();
    expectBytes(await store.read('10', 0, at), model.subarray(0, at));
    // A byte flipped in the block an append then extends is caught: the extended checksum covers it.
    const flipAt = 2 * BLOCK + 10;
    const file = await open(join(dir, 'chunks', '10'), 'r+');
    await file.write(Buffer.from([(model[flipAt] ?? 0) ^ 0xff]), 0, 1, flipAt);
    await file.close();
    await store.write('10', at, [Buffer.from('tail')], 4);
    expect(await codeOf(store.read('10', 2 * BLOCK, 10))).toBe('CHECKSUM_MISMATCH');
    expectBytes(await store.read('10', 0, 2 * BLOCK), model.subarray(0, 2 * BLOCK));
  });

  it('pads from an offset to the chunk end: zeros, sparse past the replica end', async () => {
    store.chunkSizeBytes = 4 * BLOCK;
    await store.setVersion('14', 1, true);
    await store.write('14', 0, [pattern(1000, 5)], 1000);
    await store.pad('14', 1000);
    expect(store.sizeOf('14')).toBe(4 * BLOCK);
    expectBytes(await store.read('14', 1000, 4 * BLOCK - 1000), Buffer.alloc(4 * BLOCK - 1000));
    // Bytes already past the pad offset (a failed attempt) become zeros too.
    await store.setVersion('15', 1, true);
    await store.write('15', 0, [pattern(3000, 6)], 3000);
    await store.pad('15', 1000);
    expectBytes(await store.read('15', 0, 1000), pattern(1000, 6));
    expectBytes(await store.read('15', 1000, 4 * BLOCK - 1000), Buffer.alloc(4 * BLOCK - 1000));
  });

  it('keeps versions, sizes and checksums across reopen', async () => {
    await store.setVersion('11', 4, true);
    await store.write('11', 10, [pattern(BLOCK, 2)], BLOCK);
    await store.setVersion('11', 6, false);
    await store.sync('11');
    await store.close();
    store = await openStore();
    expect(store.versionOf('11')).toBe(6);
    expectBytes(await store.read('11', 10, BLOCK), pattern(BLOCK, 2));
    expect(await codeOf(store.setVersion('11', 5, false))).toBe('STALE_VERSION');
    await store.setVersion('11', 6, false);
    expect(await codeOf(store.setVersion('12', 1, false))).toBe('CHUNK_NOT_FOUND');
  });

  it('deletes a replica with its version and checksums, and drops leftovers at start-up', async () => {
    await store.setVersion('13', 1, true);
    await store.write('13', 0, [Buffer.from('abc')], 3);
    expect(await store.delete('13')).toBe(true);
    expect(await readdir(join(dir, 'chunks'))).toEqual([]);
    const orphan = await open(join(dir, 'chunks', '14'), 'w');
    await orphan.close();
    await store.close();
    store = await openStore();
    expect(store.count).toBe(0);
    expect(await readdir(join(dir, 'chunks'))).toEqual([]);
  });

  it('refuses handles that could escape the directory and writes past the chunk size', async () => {
    for (const bad of ['../x', '/etc/passwd', '1/2', '01', '', '1e3', '-1', '18446744073709551616', 'abc']) {
      expect(isValidHandle(bad)).toBe(false);
      expect(await codeOf(store.setVersion(bad, 1, true))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(store.read(bad, 0, 1))).toBe('INVALID_ARGUMENT');
    }
    expect(isValidHandle('18446744073709551615')).toBe(true);
    await store.setVersion('15', 1, true);
    store.chunkSizeBytes = 4 * BLOCK;
    expect(await codeOf(store.write('15', 4 * BLOCK - 1, [Buffer.from('ab')], 2))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(store.read('16', 0, 1))).toBe('CHUNK_NOT_FOUND');
  });

  it('creates a batch of chunks with their files, usable at once; a repeat goes through the version rules', async () => {
    await store.setVersion('20', 4, true);
    const outcomes = await store.createChunks(['21', '22', '20', 'not-a-handle'], 1);
    expect(outcomes.slice(0, 2)).toEqual([undefined, undefined]);
    // An existing chunk at a higher version refuses version 1; a malformed handle is refused too.
    expect(outcomes[2]).toMatchObject({ code: 'STALE_VERSION' });
    expect(outcomes[3]).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const names = await readdir(join(dir, 'chunks'));
    for (const handle of ['21', '22']) {
      // The data and checksum files exist already: the first write opens them, creates nothing.
      expect(names).toEqual(expect.arrayContaining([handle, `${handle}.crc`, `${handle}.version`]));
      expect(store.versionOf(handle)).toBe(1);
    }
    const data = pattern(5000, 3);
    await store.write('21', 0, [data], data.length);
    await store.sync('21');
    expectBytes(await store.read('21', 0, data.length), data);
    await store.close();
    store = await openStore();
    expect(store.reports()).toEqual(
      expect.arrayContaining([
        { handle: '21', version: 1, size: 5000 },
        { handle: '22', version: 1, size: 0 },
      ]),
    );
  });

  it('drops at start-up a chunk whose version file is empty (a batch creation a crash cut short)', async () => {
    await store.createChunks(['30', '31'], 1);
    await store.write('31', 0, [pattern(100, 1)], 100);
    await store.close();
    // What a machine crash can leave of an unsynced version file: the name, no content.
    await (await open(join(dir, 'chunks', '31.version'), 'w')).close();
    store = await openStore();
    expect(store.reports()).toEqual([{ handle: '30', version: 1, size: 0 }]);
    expect((await readdir(join(dir, 'chunks'))).filter((name) => name.startsWith('31'))).toEqual([]);
  });
});
