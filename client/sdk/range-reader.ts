// Reads a byte range of a file as an ordered sequence of buffers: up to PIECES_IN_FLIGHT pieces
// in flight, never more than READ_AHEAD_CHUNKS chunks ahead of the one being consumed, so memory
// stays bounded whatever the file size; the consumer pulling is the backpressure.

import { PIECE_BYTES_DEFAULT, PIECES_IN_FLIGHT, READ_AHEAD_CHUNKS } from '../../shared/limits.js';
import { readPiece } from './chunk-read.js';
import type { SdkDeps } from './deps.js';
import { type Piece, pieceAt } from './pieces.js';

export interface ByteRange {
  startBytes: number;
  /** Exclusive; already clamped to the file size by the caller. */
  endBytes: number;
  chunkSizeBytes: number;
}

interface Started {
  piece: Piece;
  data: Promise<Buffer>;
}

/**
 * With `into` (at least the range's length), each piece lands in its place there and the pieces
 * yielded are views of it.
 */
export async function* readRange(deps: SdkDeps, path: string, range: ByteRange, rotation: number, into?: Buffer) {
  const { endBytes, chunkSizeBytes } = range;
  const queue: Started[] = [];
  let offset = range.startBytes;
  const start = () => {
    const piece = pieceAt(offset, endBytes, chunkSizeBytes, PIECE_BYTES_DEFAULT);
    offset += piece.lengthBytes;
    const atBytes = piece.fileOffsetBytes - range.startBytes;
    const destination = into?.subarray(atBytes, atBytes + piece.lengthBytes);
    const data = readPiece(deps, path, piece, rotation, destination);
    // Failures surface when the piece's turn comes; a consumer that stops early never sees them.
    data.catch(() => undefined);
    queue.push({ piece, data });
  };
  while (offset < endBytes || queue.length > 0) {
    const consumingChunk = queue[0]?.piece.chunkIndex ?? Math.floor(offset / chunkSizeBytes);
    while (
      offset < endBytes &&
      queue.length < PIECES_IN_FLIGHT &&
      Math.floor(offset / chunkSizeBytes) <= consumingChunk + READ_AHEAD_CHUNKS
    ) {
      start();
    }
    const next = queue.shift();
    if (next === undefined) return;
    yield await next.data;
  }
}

/** Reads a whole range into one buffer. */
export async function readRangeToBuffer(deps: SdkDeps, path: string, range: ByteRange, rotation: number) {
  const parts: Buffer[] = [];
  for await (const part of readRange(deps, path, range, rotation)) parts.push(part);
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}
