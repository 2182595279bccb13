// The target's half of re-replication: copying a chunk from a source's read path into the store
// through its checksummed write, and the ways that must fail leaving nothing behind (damaged
// bytes, a stale source, a source that changes underneath, a replica already here).

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChunkAccessCheck, chunkAccessCheck } from '../../../chunkserver/http/chunk-access.js';
import { handleRead } from '../../../chunkserver/http/read.js';
import { Cloner } from '../../../chunkserver/replication/cloner.js';
import { ChunkStore } from '../../../chunkserver/store/chunk-store.js';
import { RpcClient } from '../../../shared/http/client.js';
import { CHECKSUM_BLOCK_BYTES } from '../../../shared/limits.js';
import { silentLogger } from '../../../shared/log.js';
import { mintChunkToken } from '../../../shared/security/chunk-token.js';
import { parseSecret } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { codeOf, expectBytes, pattern } from './helpers.js';

const CHUNK = 1024 * 1024;
const PIECE = 4 * CHECKSUM_BLOCK_BYTES;

/** Rewrites a read reply on its way (damage); `onRequest` runs before each one is served. */
interface Tamper {
  flipByteOfRequest?: number;
  onRequest?: (n: number) => Promise<void>;
}

describe('Cloner', () => {
  const dirs: string[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let source: ChunkStore;
  let target: ChunkStore;
  let rpc: RpcClient;
  let sourceAddress: string;
  let tamper: Tamper;
  /** The source's token check: none, unless a test turns it on. */
  let sourceAccess: ChunkAccessCheck;

  async function openStore(): Promise<ChunkStore> {
    const dir = await mkdtemp(join(tmpdir(), 'gfs-clone-'));
    dirs.push(dir);
    const store = await ChunkStore.open({ dataDir: dir, logger: silentLogger() });
    store.chunkSizeBytes = CHUNK;
    return store;
  }

  beforeEach(async () => {
    tamper = {};
    sourceAccess = chunkAccessCheck(null);
    source = await openStore();
    target = await openStore();
    rpc = new RpcClient();
    let requests = 0;
    // The source's real read path behind a server that can damage or delay replies.
    const server: Server = createServer((request, response) => {
      const n = ++requests;
      void (async () => {
        await tamper.onRequest?.(n);
        if (tamper.flipByteOfRequest === n) {
          const end = response.end.bind(response);
          response.end = ((chunk: Buffer) => {
            const last = Buffer.isBuffer(chunk) ? chunk.length - 1 : -1;
            if (last >= 0) chunk[last] = (chunk[last] ?? 0) ^ 0xff;
            return end(chunk);
          }) as typeof response.end;
        }
        await handleRead({ store: source, onBytesRead: () => undefined, access: sourceAccess }, request, response);
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    sourceAddress = `127.0.0.1:${address.port}`;
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await rpc.close();
    await source.close();
    await target.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  function cloner(clonesMax?: number): Cloner {
    return new Cloner({
      store: target,
      rpc,
      logger: silentLogger(),
      onBytesWritten: () => undefined,
      pieceBytes: PIECE,
      ...(clonesMax === undefined ? {} : { clonesMax }),
    });
  }

  /** A source chunk at version 3: bytes at 0, a hole, bytes ending mid-block. */
  async function sourceChunk(handle: string): Promise<Buffer> {
    await source.setVersion(handle, 3, true);
    const head = pattern(PIECE + 1000, 1);
    const tail = pattern(PIECE + 77, 2);
    await source.write(handle, 0, [head], head.length);
    await source.write(handle, 2 * PIECE, [tail], tail.length);
    return source.read(handle, 0, source.sizeOf(handle));
  }

  async function chunkFiles(store: ChunkStore): Promise<string[]> {
    return (await readdir(store.chunkDir)).sort();
  }

  it('copies the chunk exactly, with its version, durable across a reopen of the store', async () => {
    const expected = await sourceChunk('11');
    expect(await cloner().clone({ handle: '11', version: 3, source: sourceAddress })).toEqual({
      sizeBytes: expected.length,
    });
    expect(target.versionOf('11')).toBe(3);
    expectBytes(await target.read('11', 0, expected.length), expected);
    await target.close();
    target = await ChunkStore.open({ dataDir: join(target.chunkDir, '..'), logger: silentLogger() });
    expect(target.reports()).toEqual([{ handle: '11', version: 3, size: expected.length }]);
    expectBytes(await target.read('11', 0, expected.length), expected);
  });

  it('presents the read token of the clone order to a source that checks tokens', async () => {
    const keys = deriveClusterKeys(parseSecret('e'.repeat(64), 'test'));
    sourceAccess = chunkAccessCheck(keys.chunkToken);
    const expected = await sourceChunk('15');
    const mint = (handle: string, mode: 'r' | 'w') =>
      mintChunkToken(keys.chunkToken, {
        handle,
        version: 3,
        mode,
        expiresAtMs: Date.now() + 60_000,
        client: '@master',
      });
    expect(await codeOf(cloner().clone({ handle: '15', version: 3, source: sourceAddress }))).toBe('TOKEN_INVALID');
    expect(
      await codeOf(cloner().clone({ handle: '15', version: 3, source: sourceAddress, sourceToken: mint('15', 'w') })),
    ).toBe('TOKEN_WRONG_MODE');
    expect(target.versionOf('15')).toBeUndefined();
    expect(await chunkFiles(target)).toEqual([]);
    expect(
      await cloner().clone({ handle: '15', version: 3, source: sourceAddress, sourceToken: mint('15', 'r') }),
    ).toEqual({ sizeBytes: expected.length });
    expectBytes(await target.read('15', 0, expected.length), expected);
  });

  it('copies an empty chunk', async () => {
    await source.setVersion('12', 1, true);
    expect(await cloner().clone({ handle: '12', version: 1, source: sourceAddress })).toEqual({ sizeBytes: 0 });
    expect(target.reports()).toEqual([{ handle: '12', version: 1, size: 0 }]);
  });

  it('refuses bytes damaged on the way (CHECKSUM_MISMATCH) and leaves nothing behind', async () => {
    await sourceChunk('13');
    tamper.flipByteOfRequest = 3;
    expect(await codeOf(cloner().clone({ handle: '13', version: 3, source: sourceAddress }))).toBe('CHECKSUM_MISMATCH');
    expect(target.versionOf('13')).toBeUndefined();
    expect(await chunkFiles(target)).toEqual([]);
  });

  it('refuses a source at another version, and a source that changed during the copy', async () => {
    await sourceChunk('14');
    expect(await codeOf(cloner().clone({ handle: '14', version: 2, source: sourceAddress }))).toBe('STALE_VERSION');
    tamper.onRequest = async (n) => {
      if (n === 3) await source.write('14', source.sizeOf('14'), [pattern(10, 3)], 10);
    };
    expect(await codeOf(cloner().clone({ handle: '14', version: 3, source: sourceAddress }))).toBe('STALE_VERSION');
    expect(await chunkFiles(target)).toEqual([]);
    expect(await codeOf(cloner().clone({ handle: '15', version: 1, source: sourceAddress }))).toBe('CHUNK_NOT_FOUND');
  });

  it('refuses a chunk it holds already, and more clones at once than it may run', async () => {
    await sourceChunk('16');
    await target.setVersion('16', 3, true);
    expect(await codeOf(cloner().clone({ handle: '16', version: 3, source: sourceAddress }))).toBe('ALREADY_EXISTS');
    await sourceChunk('17');
    await sourceChunk('18');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    tamper.onRequest = () => gate;
    const one = cloner(1);
    const first = one.clone({ handle: '17', version: 3, source: sourceAddress });
    expect(await codeOf(one.clone({ handle: '18', version: 3, source: sourceAddress }))).toBe('BUSY');
    release();
    await first;
    expect(target.versionOf('17')).toBe(3);
  });
});
