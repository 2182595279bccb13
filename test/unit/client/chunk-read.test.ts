// One piece of a read against fake replicas: a replica at another version than the caller's does
// not stop the others from being tried (the master may list one a stray grant moved on), while a
// refused chunk access token still ends the round at once (every replica checks it alike).

import { describe, expect, it } from 'vitest';
import { readPiece } from '../../../client/sdk/chunk-read.js';
import type { SdkDeps } from '../../../client/sdk/deps.js';
import type { CachedChunk } from '../../../client/sdk/location-cache.js';

const CHUNK: CachedChunk = { handle: '7', version: 1, replicas: ['a:1', 'b:1', 'c:1'], fetchedAtMs: 0 };
const PIECE = { fileOffsetBytes: 0, lengthBytes: 4, chunkIndex: 0, chunkOffsetBytes: 0 };

type Answer = { status: 200; bytes: string } | { status: number; code: string };

/** Deps whose replicas answer as `answers` says; `asked` lists the replicas each request went to. */
function fakeDeps(answers: Record<string, Answer>, asked: string[]): SdkDeps {
  const body = (text: string) => ({
    text: async () => text,
    arrayBuffer: async () => new TextEncoder().encode(text).buffer,
  });
  const deps = {
    locator: { chunk: async () => CHUNK, cache: { invalidate: () => undefined } },
    rpc: {
      request: async (address: string) => {
        asked.push(address);
        const answer = answers[address];
        if (answer === undefined) throw new Error(`unexpected request to ${address}`);
        if (answer.status === 200 && 'bytes' in answer) return { statusCode: 200, body: body(answer.bytes) };
        const code = 'code' in answer ? answer.code : 'INTERNAL';
        return { statusCode: answer.status, body: body(JSON.stringify({ code, message: code, subject: '7' })) };
      },
    },
  };
  return deps as unknown as SdkDeps;
}

describe('readPiece', () => {
  it('tries the next replica when one is at another version, in the same round', async () => {
    const asked: string[] = [];
    const moved = { status: 409, code: 'STALE_VERSION' };
    const deps = fakeDeps({ 'a:1': moved, 'b:1': moved, 'c:1': { status: 200, bytes: 'data' } }, asked);
    const data = await readPiece(deps, '/f', PIECE, 0);
    expect(data.toString()).toBe('data');
    expect(asked).toEqual(['a:1', 'b:1', 'c:1']);
  });

  it('ends the round at the first refused token', async () => {
    const asked: string[] = [];
    const refused = { status: 403, code: 'TOKEN_INVALID' };
    const deps = fakeDeps({ 'a:1': refused, 'b:1': { status: 200, bytes: 'data' } }, asked);
    await expect(readPiece(deps, '/f', PIECE, 0)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    expect(asked).toEqual(['a:1']);
  });
});
