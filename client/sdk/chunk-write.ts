// One piece of a write, GFS §3.1 style: ask for the chunk's lease holder, push the bytes along the
// chain primary → secondaries (data flow), then ask the primary to apply them (control flow).
// A small piece skips the push: its bytes go in the write request itself, and the primary hands
// them to the secondaries with its applies (one round trip instead of two, see limits.ts).
// Retried with fresh answers from the master until it works or the retry budget is spent.

import { randomBytes } from 'node:crypto';
import { crc32cOf } from '../../shared/checksum.js';
import { GfsError } from '../../shared/errors.js';
import { errorFromResponse, isUnreachable, unavailable } from '../../shared/http/client.js';
import { DEAD_AFTER_MS_DEFAULT, INLINE_WRITE_BYTES_MAX } from '../../shared/limits.js';
import { BODY_CRC_HEADER, type PushReply, pushPath, writeInlinePath, writeRoute } from '../../shared/protocol/data.js';
import { tokenHeaders } from './chunk-token.js';
import type { SdkDeps } from './deps.js';
import type { LeaseReply } from './master-api.js';
import type { Piece } from './pieces.js';
import { withRetries } from './retry.js';

/** Where a piece was written: its chunk and the replicas that hold it (for `sync()`). */
export interface WrittenPiece {
  handle: string;
  replicas: string[];
  /** The write token the chunk's lease came with (`sync()` presents it). */
  token: string | undefined;
  /** The chunk's index in the file: where `sync()` asks for a new token when this one expired. */
  chunkIndex: number;
}

/** Writes one piece (inside one chunk), retrying on retryable errors. */
export async function writePiece(deps: SdkDeps, path: string, piece: Piece, data: Uint8Array): Promise<WrittenPiece> {
  const written = await withRetries(
    async () => {
      const grant = await deps.leases.get(path, piece.chunkIndex);
      await writeToChunk(deps, grant, piece.chunkOffsetBytes, data);
      return {
        handle: grant.handle,
        replicas: [grant.primary, ...grant.secondaries],
        token: grant.token,
        chunkIndex: piece.chunkIndex,
      };
    },
    {
      onRetry: () => {
        deps.leases.invalidate(path, piece.chunkIndex);
        deps.locator.cache.invalidate(path, piece.chunkIndex);
      },
      patienceMs: (error) => mutationPatienceMs(deps, error),
      logger: deps.logger,
      what: `write of chunk ${piece.chunkIndex} of ${path}`,
    },
  );
  // The chunk's version may have changed and a hole may have become a chunk: forget the location.
  deps.locator.cache.invalidate(path, piece.chunkIndex);
  return written;
}

/**
 * How long a mutation (write or record append) keeps retrying. Until the master declares a dead
 * chunkserver dead (--dead-after) it keeps naming it; then it re-grants to the live replicas. The
 * client does not know the master's --dead-after, so it is patient for a generous bound derived
 * from the lease it was given; an unreachable master ends the patience at once.
 */
export function mutationPatienceMs(deps: SdkDeps, error: GfsError): number {
  return isUnreachable(error) && error.subject === deps.master.address
    ? 0
    : 2 * deps.leases.leaseMsAssumed + DEAD_AFTER_MS_DEFAULT;
}

/** One attempt at a piece on the chunk of `grant`: inline when small, else push then write. */
export async function writeToChunk(deps: SdkDeps, grant: LeaseReply, chunkOffsetBytes: number, data: Uint8Array) {
  if (data.byteLength <= INLINE_WRITE_BYTES_MAX) {
    await writeInline(deps, grant, chunkOffsetBytes, data);
    return;
  }
  const chain = [grant.primary, ...grant.secondaries];
  const dataId = randomBytes(18).toString('base64url');
  await push(deps, chain, dataId, data, grant.token);
  await deps.rpc.call(
    grant.primary,
    writeRoute,
    {
      handle: grant.handle,
      version: grant.version,
      offset: chunkOffsetBytes,
      dataId,
      length: data.byteLength,
      secondaries: grant.secondaries,
    },
    writeRoute.url,
    tokenHeaders(grant.token),
  );
}

/**
 * PUT /chunk/write-inline to the primary: the bytes and the write in one request; resolves once
 * every replica applied them. The body's CRC32C goes along, and every replica checks it first.
 */
export async function writeInline(
  deps: SdkDeps,
  grant: LeaseReply,
  chunkOffsetBytes: number,
  data: Uint8Array,
): Promise<void> {
  const response = await deps.rpc.request(grant.primary, {
    method: 'PUT',
    path: writeInlinePath(grant.handle, grant.version, chunkOffsetBytes, grant.secondaries),
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(data.byteLength),
      [BODY_CRC_HEADER]: String(crc32cOf(data)),
      ...tokenHeaders(grant.token),
    },
    body: data,
  });
  if (response.statusCode >= 400) throw await errorFromResponse(response, grant.primary);
  await response.body.text().catch((error: unknown) => {
    throw unavailable(grant.primary, error);
  });
}

/** PUT /push/<dataId> to the head of the chain, which forwards it (and the write token) down the rest. */
export async function push(
  deps: SdkDeps,
  chain: readonly string[],
  dataId: string,
  data: Uint8Array,
  token: string | undefined,
): Promise<void> {
  const [head, ...rest] = chain;
  if (head === undefined) throw new GfsError('UNAVAILABLE', 'no replica to write to', dataId);
  const response = await deps.rpc.request(head, {
    method: 'PUT',
    path: pushPath(dataId, rest),
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(data.byteLength),
      ...tokenHeaders(token),
    },
    body: data,
  });
  if (response.statusCode >= 400) throw await errorFromResponse(response, head);
  let reply: PushReply;
  try {
    reply = JSON.parse(await response.body.text()) as PushReply;
  } catch (error) {
    if (error instanceof SyntaxError) throw new GfsError('INTERNAL', 'malformed push reply', head);
    throw unavailable(head, error);
  }
  // Pair check: what the chain holds is what we sent.
  if (reply.bytes !== data.byteLength || reply.crc32c >>> 0 !== crc32cOf(data)) {
    throw new GfsError('REPLICA_FAILED', 'pushed data arrived damaged', head);
  }
}
