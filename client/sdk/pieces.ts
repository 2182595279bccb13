// Splits a byte range of a file into pieces for the data path: no piece crosses a chunk boundary
// (each is one push + one chunk write, or one chunk read) and none is longer than the piece size.

import { assert } from '../../shared/assert.js';

export interface Piece {
  /** Offset of the piece in the file. */
  fileOffsetBytes: number;
  lengthBytes: number;
  chunkIndex: number;
  /** Offset of the piece inside its chunk. */
  chunkOffsetBytes: number;
}

/** The pieces covering [fileOffsetBytes, fileOffsetBytes + lengthBytes), in file order. */
export function splitIntoPieces(
  fileOffsetBytes: number,
  lengthBytes: number,
  chunkSizeBytes: number,
  pieceBytesMax: number,
): Piece[] {
  assert(Number.isSafeInteger(fileOffsetBytes) && fileOffsetBytes >= 0, 'piece offset is a whole byte count');
  assert(Number.isSafeInteger(lengthBytes) && lengthBytes >= 0, 'piece length is a whole byte count');
  assert(chunkSizeBytes > 0 && pieceBytesMax > 0, 'chunk and piece sizes are positive');
  const pieces: Piece[] = [];
  let offset = fileOffsetBytes;
  const end = fileOffsetBytes + lengthBytes;
  while (offset < end) {
    const piece = pieceAt(offset, end, chunkSizeBytes, pieceBytesMax);
    pieces.push(piece);
    offset += piece.lengthBytes;
  }
  return pieces;
}

/** The first piece starting at `offset` and ending no later than `end`. */
export function pieceAt(offset: number, end: number, chunkSizeBytes: number, pieceBytesMax: number): Piece {
  const chunkIndex = Math.floor(offset / chunkSizeBytes);
  const chunkOffsetBytes = offset - chunkIndex * chunkSizeBytes;
  const lengthBytes = Math.min(end - offset, chunkSizeBytes - chunkOffsetBytes, pieceBytesMax);
  return { fileOffsetBytes: offset, lengthBytes, chunkIndex, chunkOffsetBytes };
}

/** Bytes from `offset` to the end of its chunk. */
export function bytesLeftInChunk(offset: number, chunkSizeBytes: number): number {
  return chunkSizeBytes - (offset % chunkSizeBytes);
}
