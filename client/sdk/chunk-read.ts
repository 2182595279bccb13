// One piece of a read: from the chunk's replicas in turn (starting at a different replica per
// chunk to spread load), each checked for the exact length; when every replica failed, fresh
// locations from the master and another round, within the retry budget. Holes read as zeros.

import { GfsError } from '../../shared/errors.js';
import { errorFromResponse, unavailable } from '../../shared/http/client.js';
import { readPath } from '../../shared/protocol/data.js';
import type { SdkDeps } from './deps.js';
import type { CachedChunk } from './location-cache.js';
import type { Piece } from './pieces.js';
import { withRetries } from './retry.js';

export async function readPiece(deps: SdkDeps, path: string, piece: Piece, rotation: number): Promise<Buffer> {
  return withRetries(
    async () => {
      const chunk = await deps.locator.chunk(path, piece.chunkIndex);
      if (chunk === undefined || chunk.handle === undefined) return Buffer.alloc(piece.lengthBytes);
      return readFromReplicas(deps, chunk, piece, rotation);
    },
    { onRetry: () => deps.locator.cache.invalidate(path, piece.chunkIndex) },
  );
}

async function readFromReplicas(deps: SdkDeps, chunk: CachedChunk, piece: Piece, rotation: number): Promise<Buffer> {
  const count = chunk.replicas.length;
  if (count === 0) throw new GfsError('UNAVAILABLE', 'no live replica holds the chunk', chunk.handle);
  let lastError: unknown;
  for (let i = 0; i < count; i++) {
    const address = chunk.replicas[(piece.chunkIndex + rotation + i) % count] as string;
    try {
      return await readFromReplica(deps, address, chunk, piece);
    } catch (error) {
      lastError = error;
      // Our version is older than the chunk's: every replica will say so; ask the master.
      if (error instanceof GfsError && error.code === 'STALE_VERSION') break;
    }
  }
  throw lastError;
}

async function readFromReplica(deps: SdkDeps, address: string, chunk: CachedChunk, piece: Piece): Promise<Buffer> {
  const response = await deps.rpc.request(address, {
    method: 'GET',
    path: readPath(chunk.handle as string, chunk.version, piece.chunkOffsetBytes, piece.lengthBytes),
  });
  if (response.statusCode >= 400) throw await errorFromResponse(response, address);
  let data: Buffer;
  try {
    data = Buffer.from(await response.body.arrayBuffer());
  } catch (error) {
    throw unavailable(address, error);
  }
  // Pair check: a replica must send exactly what was asked for.
  if (data.byteLength !== piece.lengthBytes) {
    throw new GfsError('REPLICA_FAILED', `short read (${data.byteLength} of ${piece.lengthBytes} bytes)`, address);
  }
  return data;
}
