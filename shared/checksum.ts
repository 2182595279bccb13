// CRC32C per checksum block: computed when data is written, verified on every read (GFS §5.2).

import { crc32c } from '@node-rs/crc32';
import { CHECKSUM_BLOCK_BYTES } from './limits.js';

export function crc32cOf(data: Uint8Array, previous = 0): number {
  return crc32c(data, previous) >>> 0;
}

/** Index of the checksum block that holds a chunk offset. */
export function blockIndexOf(chunkOffsetBytes: number): number {
  return Math.floor(chunkOffsetBytes / CHECKSUM_BLOCK_BYTES);
}

// CRC32C of a concatenation from the CRCs of its parts (zlib's crc32_combine, for the Castagnoli
// polynomial): lets a chunkserver checksum each 64 KiB block once and still answer a push with
// the CRC of the whole body, instead of running a second pass over every byte.

/** The reflected Castagnoli polynomial. */
const POLY = 0x82f63b78;

/** a·b modulo the polynomial (both reflected). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  let x = b;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= x;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    x = x & 1 ? (x >>> 1) ^ POLY : x >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo the polynomial. */
const X2N: number[] = (() => {
  const table: number[] = [];
  let p = 0x40000000; // x^1
  table.push(p);
  for (let k = 1; k < 32; k++) {
    p = multModP(p, p);
    table.push(p);
  }
  return table;
})();

/** x^(n·8) modulo the polynomial: the operator that shifts a CRC past n zero bytes. */
function shiftOperator(bytes: number): number {
  let p = 0x80000000; // x^0
  let n = bytes;
  let k = 3;
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31] as number, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

const BLOCK_SHIFT = shiftOperator(CHECKSUM_BLOCK_BYTES);

/** CRC32C of A‖B given crc(A), crc(B) and B's length. */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  const operator = lengthB === CHECKSUM_BLOCK_BYTES ? BLOCK_SHIFT : shiftOperator(lengthB);
  return (multModP(operator, crcA) ^ crcB) >>> 0;
}
