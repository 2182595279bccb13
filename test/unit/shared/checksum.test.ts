import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32cCombine, crc32cOf } from '../../../shared/checksum.js';
import { CHECKSUM_BLOCK_BYTES } from '../../../shared/limits.js';

describe('crc32cCombine', () => {
  it('gives the CRC of a concatenation from the CRCs of its parts', () => {
    const lengths: [number, number][] = [
      [0, 0],
      [0, 5],
      [5, 0],
      [1, 1],
      [100, CHECKSUM_BLOCK_BYTES],
      [CHECKSUM_BLOCK_BYTES, CHECKSUM_BLOCK_BYTES],
      [CHECKSUM_BLOCK_BYTES, 7],
      [3, 123_457],
    ];
    for (const [a, b] of lengths) {
      const first = randomBytes(a);
      const second = randomBytes(b);
      expect(crc32cCombine(crc32cOf(first), crc32cOf(second), b)).toBe(crc32cOf(Buffer.concat([first, second])));
    }
  });
});
