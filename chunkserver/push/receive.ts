// Receives one pushed body into the push buffer and, while it is still arriving, forwards every
// piece to the next chunkserver of the chain (GFS §3.2: pipelined, so a push to three replicas
// costs about one transfer, not three). Answers only once this server holds all the data and the
// rest of the chain confirmed the same bytes and CRC.

import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { crc32cCombine, crc32cOf } from '../../shared/checksum.js';
import { GfsError } from '../../shared/errors.js';
import { errorFromResponse, type RpcClient } from '../../shared/http/client.js';
import { CHECKSUM_BLOCK_BYTES, PIECE_BYTES_MAX } from '../../shared/limits.js';
import { type PushReply, pushPath } from '../../shared/protocol/data.js';
import { CHUNK_TOKEN_HEADER } from '../../shared/security/chunk-token.js';
import type { PushBuffer } from './push-buffer.js';

/** Bytes the forwarding pipe holds before the upstream socket is paused. */
const FORWARD_HIGH_WATER_BYTES = 1024 * 1024;
/** Received bytes gathered before they are forwarded as one write. */
const FORWARD_SLICE_BYTES = 256 * 1024;
const BLOCK = CHECKSUM_BLOCK_BYTES;

export interface PushTarget {
  buffer: PushBuffer;
  rpc: RpcClient;
}

export interface PushRequest {
  dataId: string;
  /** Chunkservers after this one, in push order. */
  chain: readonly string[];
  /** Content-Length when the client sent one. */
  declaredBytes: number | undefined;
  body: Readable;
  /** The client's chunk access token, passed down the chain (each hop checks it). */
  token?: string | undefined;
  /** The chunk the token names (undefined when tokens are not checked): a write of the data must be to it. */
  handle?: string | undefined;
}

export async function receivePush(target: PushTarget, request: PushRequest): Promise<PushReply> {
  const { buffer } = target;
  const { declaredBytes } = request;
  if (declaredBytes !== undefined && declaredBytes > PIECE_BYTES_MAX) {
    throw new GfsError('INVALID_ARGUMENT', `push of ${declaredBytes} bytes exceeds ${PIECE_BYTES_MAX}`, request.dataId);
  }
  buffer.reserve(declaredBytes ?? 0);
  let reservedBytes = declaredBytes ?? 0;
  const forward = startForward(target.rpc, request);
  // With a declared length the body lands in one buffer: one allocation, one writev entry and
  // one CRC call per block later, instead of dozens of socket-sized pieces kept alive until the
  // write consumes them (measured: the pieces cost more in GC than the copy costs).
  const whole = declaredBytes === undefined ? undefined : buffer.pool.take(declaredBytes);
  const pieces: Buffer[] = whole === undefined ? [] : [whole];
  // With a whole buffer, each 64 KiB block is checksummed once, while still in cache, as soon as
  // it is complete; the write reuses these CRCs and the reply combines them (no second pass).
  const blockCrcs: number[] = [];
  let crcBytes = 0;
  let forwardedBytes = 0;
  try {
    let bytes = 0;
    let crc = 0;
    for await (const piece of request.body as AsyncIterable<Buffer>) {
      if (bytes + piece.length > (declaredBytes ?? PIECE_BYTES_MAX)) {
        throw new GfsError('INVALID_ARGUMENT', 'push body longer than declared or allowed', request.dataId);
      }
      if (whole === undefined) {
        buffer.reserve(piece.length);
        reservedBytes += piece.length;
        pieces.push(piece);
        crc = crc32cOf(piece, crc);
        bytes += piece.length;
        if (forward !== undefined && !forward.pipe.write(piece)) await forward.drained();
        continue;
      }
      piece.copy(whole, bytes);
      bytes += piece.length;
      while (bytes - crcBytes >= BLOCK) {
        blockCrcs.push(crc32cOf(whole.subarray(crcBytes, crcBytes + BLOCK)));
        crcBytes += BLOCK;
      }
      // Forward views of the whole buffer in slices of a few socket reads: fewer writes downstream.
      if (forward !== undefined && (bytes - forwardedBytes >= FORWARD_SLICE_BYTES || bytes === declaredBytes)) {
        const slice = whole.subarray(forwardedBytes, bytes);
        forwardedBytes = bytes;
        if (!forward.pipe.write(slice)) await forward.drained();
      }
    }
    if (declaredBytes !== undefined && bytes !== declaredBytes) {
      throw new GfsError(
        'INVALID_ARGUMENT',
        `push body ended after ${bytes} of ${declaredBytes} bytes`,
        request.dataId,
      );
    }
    if (whole !== undefined) {
      if (crcBytes < bytes) blockCrcs.push(crc32cOf(whole.subarray(crcBytes, bytes)));
      crc = combineBlockCrcs(blockCrcs, bytes);
    }
    if (forward !== undefined) {
      forward.pipe.end();
      const downstream = await forward.reply;
      if (downstream.bytes !== bytes || downstream.crc32c !== crc) {
        throw new GfsError('REPLICA_FAILED', 'downstream replica holds different bytes', forward.address);
      }
    }
    buffer.put(request.dataId, {
      pieces,
      bytes,
      crc32c: crc,
      pooled: whole !== undefined,
      blockCrcs: whole === undefined ? undefined : blockCrcs,
      handle: request.handle,
    });
    buffer.unreserve(reservedBytes - bytes);
    return { bytes, crc32c: crc };
  } catch (error) {
    buffer.unreserve(reservedBytes);
    forward?.pipe.destroy();
    // A forwarded slice may still sit in a socket queue: only an unshared buffer goes back.
    if (whole !== undefined && forwardedBytes === 0) buffer.pool.give(whole);
    throw error;
  }
}

/** CRC32C of the whole body from the CRCs of its consecutive blocks (all full but the last). */
function combineBlockCrcs(blockCrcs: readonly number[], bytes: number): number {
  let crc = 0;
  blockCrcs.forEach((blockCrc, i) => {
    crc = i === 0 ? blockCrc : crc32cCombine(crc, blockCrc, Math.min(BLOCK, bytes - i * BLOCK));
  });
  return crc;
}

interface Forward {
  address: string;
  pipe: PassThrough;
  reply: Promise<PushReply>;
  /** Resolves when the pipe drains; rejects when the downstream push failed first. */
  drained(): Promise<void>;
}

function startForward(rpc: RpcClient, request: PushRequest): Forward | undefined {
  const [next, ...rest] = request.chain;
  if (next === undefined) return undefined;
  const pipe = new PassThrough({ highWaterMark: FORWARD_HIGH_WATER_BYTES });
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (request.declaredBytes !== undefined) headers['content-length'] = String(request.declaredBytes);
  if (request.token !== undefined) headers[CHUNK_TOKEN_HEADER] = request.token;
  const reply = rpc
    .request(next, { method: 'PUT', path: pushPath(request.dataId, rest), headers, body: pipe })
    .then(async (response) => {
      if (response.statusCode >= 400) throw await errorFromResponse(response, next);
      return (await response.body.json()) as PushReply;
    })
    .catch((error: unknown) => {
      throw blameDownstream(next, error);
    });
  // The failure is reported through `reply` or `drained`; never let it go unhandled meanwhile.
  reply.catch(() => undefined);
  const settledEarly = reply.then(
    () => {
      throw new GfsError('REPLICA_FAILED', 'downstream answered before the body was sent', next);
    },
    (error: unknown) => {
      throw error;
    },
  );
  settledEarly.catch(() => undefined);
  return {
    address: next,
    pipe,
    reply,
    drained: async () => {
      await Promise.race([once(pipe, 'drain'), settledEarly]);
    },
  };
}

/** A failure further down the chain keeps its address; anything else names the next hop. */
function blameDownstream(address: string, error: unknown): GfsError {
  if (error instanceof GfsError && error.code === 'REPLICA_FAILED') return error;
  const reason = error instanceof Error ? error.message : String(error);
  const code = error instanceof GfsError ? ` (${error.code})` : '';
  return new GfsError('REPLICA_FAILED', `push to ${address} failed${code}: ${reason}`, address);
}
