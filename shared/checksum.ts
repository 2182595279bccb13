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
