// Reads and writes of one replica file with its per-64 KiB CRC32C blocks (GFS §5.2). The chunk
// file holds the bytes verbatim and grows lazily (sparse); a block's checksum covers the bytes of
// the block below the replica's size. Reads verify every block they touch; a write that covers
// part of a block verifies the old bytes of that block before re-checksumming it, so corruption is
// never silently blessed with a fresh checksum.

import type { FileHandle } from 'node:fs/promises';
import { blockIndexOf, crc32cOf } from '../../shared/checksum.js';
import { GfsError } from '../../shared/errors.js';
import { CHECKSUM_BLOCK_BYTES } from '../../shared/limits.js';

const BLOCK = CHECKSUM_BLOCK_BYTES;
const ZEROS = Buffer.alloc(BLOCK);
const ZERO_BLOCK_CRC = crc32cOf(ZEROS);
export const CRC_BYTES = 4;

/** What a replica's checksums are checked against: its size and one CRC per block below it. */
export interface ChunkCrcState {
  handle: string;
  sizeBytes: number;
  /** crcs[i] covers bytes [i·BLOCK, min((i+1)·BLOCK, sizeBytes)); a missing entry never matches. */
  crcs: number[];
}

export function blockCountOf(sizeBytes: number): number {
  return Math.ceil(sizeBytes / BLOCK);
}

/**
 * `lengthBytes` bytes at `offsetBytes`, zeros past the replica's end, every touched block verified.
 * Returns a view into one buffer (no copy of the payload).
 */
export async function readVerified(
  file: FileHandle,
  state: ChunkCrcState,
  offsetBytes: number,
  lengthBytes: number,
): Promise<Buffer> {
  const endBytes = offsetBytes + lengthBytes;
  const readableEnd = Math.min(endBytes, state.sizeBytes);
  if (lengthBytes === 0 || offsetBytes >= readableEnd) return Buffer.alloc(lengthBytes);
  const firstBlock = blockIndexOf(offsetBytes);
  const lastBlock = blockIndexOf(readableEnd - 1);
  const alignedStart = firstBlock * BLOCK;
  const alignedEnd = Math.min((lastBlock + 1) * BLOCK, state.sizeBytes);
  const buffer = Buffer.allocUnsafe(Math.max(alignedEnd, endBytes) - alignedStart);
  await readFully(file, buffer, alignedEnd - alignedStart, alignedStart);
  buffer.fill(0, alignedEnd - alignedStart);
  for (let block = firstBlock; block <= lastBlock; block++) {
    const from = block * BLOCK - alignedStart;
    const to = Math.min((block + 1) * BLOCK, state.sizeBytes) - alignedStart;
    verifyBlock(state, block, buffer.subarray(from, to));
  }
  return buffer.subarray(offsetBytes - alignedStart, endBytes - alignedStart);
}

/**
 * Writes `pieces` (together `lengthBytes`) at `offsetBytes` and updates the checksums on disk and
 * in `state`. Acknowledged once in the page cache: `sync` makes it durable. `blockCrcs`, when
 * given, are the CRCs of the data's BLOCK-sized blocks counted from its start (the push receiver
 * computes them as the bytes arrive); a block-aligned write reuses them instead of a second pass.
 */
export async function writeChecksummed(
  dataFile: FileHandle,
  crcFile: FileHandle,
  state: ChunkCrcState,
  offsetBytes: number,
  pieces: readonly Buffer[],
  lengthBytes: number,
  blockCrcs?: readonly number[],
): Promise<void> {
  if (lengthBytes === 0) return;
  const knownCrcs =
    blockCrcs !== undefined && offsetBytes % BLOCK === 0 && blockCrcs.length === blockCountOf(lengthBytes)
      ? blockCrcs
      : undefined;
  const oldSize = state.sizeBytes;
  const writeStart = offsetBytes;
  const writeEnd = offsetBytes + lengthBytes;
  const newSize = Math.max(oldSize, writeEnd);
  // Growing past a hole also changes the checksums of the blocks between the old end and the write.
  const firstBlock = blockIndexOf(writeEnd > oldSize ? Math.min(writeStart, oldSize) : writeStart);
  const lastBlock = blockIndexOf(writeEnd - 1);
  const data = new PieceReader(pieces, writeStart);
  const newCrcs: number[] = [];
  for (let block = firstBlock; block <= lastBlock; block++) {
    const start = block * BLOCK;
    const end = Math.min(start + BLOCK, newSize);
    const storedCrc = state.crcs[block];
    if (start >= writeStart && end <= writeEnd) {
      // A block wholly inside an aligned write is the same byte range as one of the data's blocks.
      const known = knownCrcs?.[(start - writeStart) / BLOCK];
      newCrcs.push(known ?? data.crcOf(start, end, 0));
    } else if (start >= oldSize && end <= writeStart) {
      newCrcs.push(end - start === BLOCK ? ZERO_BLOCK_CRC : crc32cOf(ZEROS.subarray(0, end - start)));
    } else if (writeStart === oldSize && start < oldSize && storedCrc !== undefined) {
      // Appending at the replica's end: the block's stored CRC covers [start, oldSize) exactly, so
      // it is continued over the new bytes instead of reading the old ones back (record append's
      // common case). Corruption of the old bytes still fails the extended checksum on read.
      newCrcs.push(data.crcOf(writeStart, Math.min(end, writeEnd), storedCrc));
    } else {
      newCrcs.push(await mergedBlockCrc(dataFile, state, block, data, writeStart, writeEnd, newSize));
    }
  }
  const crcBytes = Buffer.allocUnsafe(newCrcs.length * CRC_BYTES);
  newCrcs.forEach((crc, i) => {
    crcBytes.writeUInt32LE(crc, i * CRC_BYTES);
  });
  // Both at once (no fsync orders them anyway): one round through the thread pool, not two.
  const written = await Promise.allSettled([
    writeFully(dataFile, pieces, lengthBytes, writeStart),
    writeFully(crcFile, [crcBytes], crcBytes.length, firstBlock * CRC_BYTES),
  ]);
  for (const result of written) if (result.status === 'rejected') throw result.reason;
  newCrcs.forEach((crc, i) => {
    state.crcs[firstBlock + i] = crc;
  });
  state.sizeBytes = newSize;
}

/** Checksum of a block the write covers only in part: old bytes (verified first), zeros, new bytes. */
async function mergedBlockCrc(
  dataFile: FileHandle,
  state: ChunkCrcState,
  block: number,
  data: PieceReader,
  writeStart: number,
  writeEnd: number,
  newSize: number,
): Promise<number> {
  const start = block * BLOCK;
  const end = Math.min(start + BLOCK, newSize);
  const oldEnd = Math.min(start + BLOCK, state.sizeBytes);
  let old = ZEROS.subarray(0, 0);
  if (start < oldEnd) {
    old = Buffer.allocUnsafe(oldEnd - start);
    await readFully(dataFile, old, old.length, start);
    verifyBlock(state, block, old);
  }
  // Bytes [a, b) of the block's old content: what the file held, zeros past its old end.
  const oldCrc = (a: number, b: number, previous: number): number => {
    let crc = previous;
    const oldTo = Math.min(b, oldEnd);
    if (a < oldTo) crc = crc32cOf(old.subarray(a - start, oldTo - start), crc);
    const zerosFrom = Math.max(a, oldEnd);
    if (zerosFrom < b) crc = crc32cOf(ZEROS.subarray(0, b - zerosFrom), crc);
    return crc;
  };
  let crc = 0;
  crc = oldCrc(start, Math.min(end, writeStart), crc);
  const newFrom = Math.max(start, writeStart);
  const newTo = Math.min(end, writeEnd);
  if (newFrom < newTo) crc = data.crcOf(newFrom, newTo, crc);
  return oldCrc(Math.max(start, writeEnd), end, crc);
}

/**
 * Cuts the replica at `offsetBytes` (truncate): the data file ends there and the checksums cover
 * what is left. The block holding the new end is verified before its checksum is recomputed over
 * its first bytes, so corruption is never blessed. The checksum is written before the data file
 * is cut: a crash in between leaves a block whose CRC fails (the replica is reported corrupt and
 * re-replicated), never a tail that reads back as good data. A cut at or past the end does nothing.
 */
export async function truncateChecksummed(
  dataFile: FileHandle,
  crcFile: FileHandle,
  state: ChunkCrcState,
  offsetBytes: number,
): Promise<void> {
  if (offsetBytes >= state.sizeBytes) return;
  const blocks = blockCountOf(offsetBytes);
  if (offsetBytes % BLOCK !== 0) {
    const block = blocks - 1;
    const start = block * BLOCK;
    const old = Buffer.allocUnsafe(Math.min(start + BLOCK, state.sizeBytes) - start);
    await readFully(dataFile, old, old.length, start);
    verifyBlock(state, block, old);
    const crc = crc32cOf(old.subarray(0, offsetBytes - start));
    const crcBytes = Buffer.allocUnsafe(CRC_BYTES);
    crcBytes.writeUInt32LE(crc, 0);
    await writeFully(crcFile, [crcBytes], CRC_BYTES, block * CRC_BYTES);
    state.crcs[block] = crc;
  }
  await crcFile.truncate(blocks * CRC_BYTES);
  await dataFile.truncate(offsetBytes);
  state.crcs.length = Math.min(state.crcs.length, blocks);
  state.sizeBytes = offsetBytes;
}

function verifyBlock(state: ChunkCrcState, block: number, bytes: Buffer): void {
  if (state.crcs[block] !== crc32cOf(bytes)) {
    throw new GfsError('CHECKSUM_MISMATCH', `checksum mismatch in block ${block}`, state.handle);
  }
}

/**
 * CRCs of byte ranges of the new data, given in chunk offsets, across piece boundaries. Ranges are
 * asked for in increasing order, so a cursor skips the pieces already passed.
 */
class PieceReader {
  private pieceIndex = 0;
  private pieceStart: number;

  constructor(
    private readonly pieces: readonly Buffer[],
    baseOffset: number,
  ) {
    this.pieceStart = baseOffset;
  }

  crcOf(fromOffset: number, toOffset: number, previous: number): number {
    let crc = previous;
    // Rewind if asked for an earlier range (never in practice; kept correct anyway).
    if (fromOffset < this.pieceStart) this.rewind();
    let index = this.pieceIndex;
    let pieceStart = this.pieceStart;
    for (; index < this.pieces.length; index++) {
      const piece = this.pieces[index] as Buffer;
      const pieceEnd = pieceStart + piece.length;
      if (pieceEnd <= fromOffset) {
        // Wholly before this range, and so before every later one.
        this.pieceIndex = index + 1;
        this.pieceStart = pieceEnd;
      } else {
        const from = Math.max(fromOffset, pieceStart);
        const to = Math.min(toOffset, pieceEnd);
        if (from < to) crc = crc32cOf(piece.subarray(from - pieceStart, to - pieceStart), crc);
        if (pieceEnd >= toOffset) break;
      }
      pieceStart = pieceEnd;
    }
    return crc;
  }

  private rewind(): void {
    this.pieceStart -= this.pieces.slice(0, this.pieceIndex).reduce((sum, piece) => sum + piece.length, 0);
    this.pieceIndex = 0;
  }
}

async function readFully(file: FileHandle, into: Buffer, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(into, done, length - done, position + done);
    if (bytesRead === 0) {
      // The file is shorter than the table says (truncated behind our back): zeros fail the check.
      into.fill(0, done, length);
      return;
    }
    done += bytesRead;
  }
}

async function writeFully(
  file: FileHandle,
  pieces: readonly Buffer[],
  length: number,
  position: number,
): Promise<void> {
  const { bytesWritten } = await file.writev(pieces as Buffer[], position);
  if (bytesWritten === length) return;
  // A short write (rare): write the rest from one buffer.
  const rest = Buffer.concat(pieces as Buffer[]).subarray(bytesWritten);
  let done = 0;
  while (done < rest.length) {
    const result = await file.write(rest, done, rest.length - done, position + bytesWritten + done);
    done += result.bytesWritten;
  }
}
