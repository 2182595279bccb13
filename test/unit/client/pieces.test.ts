import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitIntoPieces } from '../../../client/sdk/pieces.js';

describe('splitIntoPieces', () => {
  it('cuts at chunk boundaries and at the piece size', () => {
    expect(splitIntoPieces(900, 300, 1024, 4096)).toEqual([
      { fileOffsetBytes: 900, lengthBytes: 124, chunkIndex: 0, chunkOffsetBytes: 900 },
      { fileOffsetBytes: 1024, lengthBytes: 176, chunkIndex: 1, chunkOffsetBytes: 0 },
    ]);
    expect(splitIntoPieces(0, 2500, 4096, 1000).map((piece) => piece.lengthBytes)).toEqual([1000, 1000, 500]);
    expect(splitIntoPieces(10, 0, 1024, 100)).toEqual([]);
  });

  it('covers the range exactly, never crosses a chunk, never exceeds the piece size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 400_000 }),
        fc.integer({ min: 64, max: 1_000_000 }),
        fc.integer({ min: 64, max: 2_000_000 }),
        (offset, length, chunkSize, pieceSize) => {
          const pieces = splitIntoPieces(offset, length, chunkSize, pieceSize);
          let next = offset;
          for (const piece of pieces) {
            const chunkIndex = Math.floor(piece.fileOffsetBytes / chunkSize);
            const fine =
              piece.fileOffsetBytes === next &&
              piece.lengthBytes > 0 &&
              piece.lengthBytes <= pieceSize &&
              piece.chunkIndex === chunkIndex &&
              piece.chunkOffsetBytes === piece.fileOffsetBytes - chunkIndex * chunkSize &&
              piece.chunkOffsetBytes + piece.lengthBytes <= chunkSize;
            if (!fine) return false;
            next += piece.lengthBytes;
          }
          return next === offset + length;
        },
      ),
      { numRuns: 300 },
    );
  });
});
