// Reads of one open file, served from two block caches. The kernel asks for 128 KiB at a time
// (4 KiB for random reads, with no readahead of its own); a chunkserver round trip per request
// would cap a sequential read far below what the cluster serves, and make every 4 KiB random
// read pay a whole round trip.
// - Sequential: once reads go forward block after block, whole blocks (READ_BLOCK_BYTES, one SDK
//   piece each) are requested several ahead, and the kernel's requests are cut out of them.
// - Elsewhere: the aligned granule (READ_GRANULE_BYTES) around the request is read and kept, so
//   neighbouring reads (a database page, fio's verify pass) cost no second round trip.

import type { BufferPool } from '../../shared/buffer-pool.js';
import { BlockCache, type RangeReader } from './block-cache.js';
import type { ByteBudget } from './byte-budget.js';

export type { RangeReader } from './block-cache.js';

/** How far from the last read's end a read may start and still continue the stream (two FUSE requests). */
const SEQUENTIAL_SLACK_BYTES = 256 * 1024;

export interface ReadAheadOptions {
  blockBytes: number;
  blocksAheadMax: number;
  granuleBytes: number;
  granulesMax: number;
  budget: ByteBudget;
  /** Where block buffers are recycled (shared by the mount's files). */
  pool: BufferPool;
}

export class ReadAhead {
  private readonly blocks: BlockCache;
  private readonly granules: BlockCache;
  /** Where the last read ended: a read starting near there continues a sequential stream. */
  private nextBytes = 0;
  /** Reads in a row that continued the stream. */
  private streakReads = 0;
  /** Blocks a sequential stream has gone through: how far ahead it is worth reading. */
  private streakBlocks = 0;

  constructor(
    private readonly readRange: RangeReader,
    private readonly options: ReadAheadOptions,
  ) {
    // Room for the blocks ahead, the (at most two) being read, and one behind the reader for
    // requests that arrive out of order.
    const { budget, pool } = options;
    this.blocks = new BlockCache(options.blockBytes, options.blocksAheadMax + 3, readRange, budget, pool);
    this.granules = new BlockCache(options.granuleBytes, options.granulesMax, readRange, budget, pool);
  }

  /**
   * Copies into `into` the bytes at `offsetBytes` (as many as fit, clamped to `sizeBytes`, the
   * file's size as the caller knows it); answers how many.
   */
  async read(into: Buffer, offsetBytes: number, sizeBytes: number): Promise<number> {
    const endBytes = Math.min(offsetBytes + into.byteLength, sizeBytes);
    if (offsetBytes >= endBytes) return 0;
    const blockBytes = this.blocks.blockBytes;
    const first = Math.floor(offsetBytes / blockBytes);
    const last = Math.floor((endBytes - 1) / blockBytes);
    // A read near where the last one ended that takes the stream further: the kernel sends a
    // stream's requests a few at a time, so they can arrive slightly out of order. One such read
    // may be chance; from the second in a row on it is a stream (or a block read ahead is hit).
    const near = Math.abs(offsetBytes - this.nextBytes) <= SEQUENTIAL_SLACK_BYTES;
    if (!near) this.streakReads = 0;
    else if (endBytes > this.nextBytes) this.streakReads += 1;
    if (this.streakReads < 2 && !this.blocks.has(first)) {
      this.nextBytes = Math.max(near ? this.nextBytes : 0, endBytes);
      this.streakBlocks = 0;
      this.blocks.dropWhere();
      return this.readFrom(this.granules, into, offsetBytes, endBytes, sizeBytes);
    }
    if (Math.floor(this.nextBytes / blockBytes) < last) this.streakBlocks += 1;
    this.nextBytes = Math.max(this.nextBytes, endBytes);
    this.blocks.dropWhere((index) => index < first - 1);
    for (let index = first; index <= last; index++) this.blocks.start(index, sizeBytes);
    const ahead = Math.min(this.options.blocksAheadMax, this.streakBlocks + 1);
    for (let index = last + 1; index <= last + ahead; index++) {
      if (!this.blocks.start(index, sizeBytes)) break;
    }
    return this.readFrom(this.blocks, into, offsetBytes, endBytes, sizeBytes);
  }

  /** Forgets every block (the file changed, or was opened again and may have changed elsewhere). */
  reset(): void {
    this.blocks.dropWhere();
    this.granules.dropWhere();
    this.nextBytes = 0;
    this.streakReads = 0;
    this.streakBlocks = 0;
  }

  /** [offset, end) copied out of the cache's blocks, reading each missing one (or just the bytes, without budget). */
  private async readFrom(cache: BlockCache, into: Buffer, offsetBytes: number, endBytes: number, sizeBytes: number) {
    let copiedBytes = 0;
    const { blockBytes } = cache;
    for (let index = Math.floor(offsetBytes / blockBytes); index * blockBytes < endBytes; index++) {
      const startBytes = index * blockBytes;
      const from = Math.max(offsetBytes, startBytes) - startBytes;
      const to = Math.min(endBytes, startBytes + blockBytes) - startBytes;
      cache.start(index, sizeBytes);
      const block = cache.pin(index);
      let gotBytes: number;
      if (block === undefined) {
        gotBytes = await this.readRange(into.subarray(copiedBytes, copiedBytes + to - from), startBytes + from);
      } else {
        try {
          const data = await block.data;
          const availableTo = Math.min(to, data.byteLength);
          gotBytes = availableTo > from ? data.copy(into, copiedBytes, from, availableTo) : 0;
        } finally {
          block.release();
        }
      }
      copiedBytes += gotBytes;
      // A short block means the file ended earlier than the caller thought: stop there.
      if (gotBytes < to - from) break;
    }
    return copiedBytes;
  }
}
