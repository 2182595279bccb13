// One piece of a read: from the chunk's replicas in turn (starting at a different replica per
// chunk to spread load), each checked for the exact length; when every replica failed, fresh
// locations from the master and another round, within the retry budget. Holes read as zeros.
// A caller may name where the bytes go (`into`, exactly the piece's length): the body is copied
// there as it arrives, so a reader that recycles its buffers allocates nothing per piece.

import { GfsError } from '../../shared/errors.js';
import { errorFromResponse, unavailable } from '../../shared/http/client.js';
import { readPath } from '../../shared/protocol/data.js';
import { isTokenError, tokenHeaders } from './chunk-token.js';
import type { SdkDeps } from './deps.js';
import type { CachedChunk } from './location-cache.js';
import type { Piece } from './pieces.js';
import { withRetries } from './retry.js';

export async function readPiece(
  deps: SdkDeps,
  path: string,
  piece: Piece,
  rotation: number,
  into?: Buffer,
): Promise<Buffer> {
  return withRetries(
    async () => {
      const chunk = await deps.locator.chunk(path, piece.chunkIndex);
      if (chunk === undefined || chunk.handle === undefined) {
        return into === undefined ? Buffer.alloc(piece.lengthBytes) : into.fill(0);
      }
      return readFromReplicas(deps, chunk, piece, rotation, into);
    },
    {
      onRetry: () => deps.locator.cache.invalidate(path, piece.chunkIndex),
      logger: deps.logger,
      what: `read of chunk ${piece.chunkIndex} of ${path}`,
    },
  );
}

async function readFromReplicas(
  deps: SdkDeps,
  chunk: CachedChunk,
  piece: Piece,
  rotation: number,
  into: Buffer | undefined,
): Promise<Buffer> {
  const count = chunk.replicas.length;
  if (count === 0) throw new GfsError('UNAVAILABLE', 'no live replica holds the chunk', chunk.handle);
  let lastError: unknown;
  for (let i = 0; i < count; i++) {
    const address = chunk.replicas[(piece.chunkIndex + rotation + i) % count] as string;
    try {
      return await readFromReplica(deps, address, chunk, piece, into);
    } catch (error) {
      lastError = error;
      // Our token refused: every replica checks it alike. A replica at another version than ours
      // is no such proof: the master may list a replica a stray grant moved on (it is adopted
      // only at that server's next full report, up to 10 heartbeats later) beside others that
      // serve our version; so the rest are tried, and only when every one refused, the locations.
      if (isTokenError(error)) break;
    }
  }
  throw lastError;
}

async function readFromReplica(
  deps: SdkDeps,
  address: string,
  chunk: CachedChunk,
  piece: Piece,
  into: Buffer | undefined,
): Promise<Buffer> {
  const response = await deps.rpc.request(address, {
    method: 'GET',
    path: readPath(chunk.handle as string, chunk.version, piece.chunkOffsetBytes, piece.lengthBytes),
    headers: tokenHeaders(chunk.token),
  });
  if (response.statusCode >= 400) throw await errorFromResponse(response, address);
  let receivedBytes: number;
  let data: Buffer;
  try {
    if (into === undefined) {
      data = Buffer.from(await response.body.arrayBuffer());
      receivedBytes = data.byteLength;
    } else {
      data = into;
      receivedBytes = await copyBody(response.body, into);
    }
  } catch (error) {
    throw unavailable(address, error);
  }
  // Pair check: a replica must send exactly what was asked for.
  if (receivedBytes !== piece.lengthBytes) {
    throw new GfsError('REPLICA_FAILED', `short read (${receivedBytes} of ${piece.lengthBytes} bytes)`, address);
  }
  return data;
}

/** Copies a body into `into`; answers the bytes the body had (more than fit are counted, not copied). */
async function copyBody(body: AsyncIterable<Uint8Array>, into: Buffer): Promise<number> {
  let bytes = 0;
  for await (const part of body) {
    if (bytes + part.byteLength <= into.byteLength) into.set(part, bytes);
    bytes += part.byteLength;
  }
  return bytes;
}
