// Fixed-size, aligned blocks of one file read from the cluster and kept in memory, least recently
// used dropped first beyond `blocksMax`. Each block's bytes come from the mount-wide budget (a
// block is simply not cached when there is none), and a writer short of memory takes them back
// (`reclaim`); a block still arriving when it is dropped gives its bytes back when it lands, and a
// block whose read failed is forgotten so the next read tries again.
//
// Block buffers are recycled through a pool: a sequential read through the mount otherwise
// allocates a fresh multi-MiB buffer per block, and V8 answers that external-memory churn with
// full collections (measured: the largest CPU cost of a `dd` read through the mount). A buffer
// goes back to the pool only when its block is dropped and no reader is copying out of it (pins).

import type { BufferPool } from '../../shared/buffer-pool.js';
import type { ByteBudget, Reclaimable } from './byte-budget.js';

/** Reads into `into` the bytes at `offsetBytes` (fewer only at the end of the file); answers how many. */
export type RangeReader = (into: Buffer, offsetBytes: number) => Promise<number>;

interface Block {
  data: Promise<Buffer>;
  buffer: Buffer;
  heldBytes: number;
  pins: number;
  settled: boolean;
  dropped: boolean;
}

/** A block's bytes held for one reader: `release` once they have been copied out. */
export interface PinnedBlock {
  data: Promise<Buffer>;
  release(): void;
}

export class BlockCache implements Reclaimable {
  /** Map order is use order: the least recently used block comes first. */
  private readonly blocks = new Map<number, Block>();

  constructor(
    readonly blockBytes: number,
    private readonly blocksMax: number,
    private readonly readRange: RangeReader,
    private readonly budget: ByteBudget,
    private readonly pool: BufferPool,
  ) {}

  has(index: number): boolean {
    return this.blocks.has(index);
  }

  /**
   * The block's bytes (shorter at the end of the file), marking it recently used, held until
   * `release` so they cannot be recycled under the reader; undefined if not cached.
   */
  pin(index: number): PinnedBlock | undefined {
    const block = this.blocks.get(index);
    if (block === undefined) return undefined;
    this.blocks.delete(index);
    this.blocks.set(index, block);
    block.pins += 1;
    let released = false;
    return {
      data: block.data,
      release: () => {
        if (released) return;
        released = true;
        block.pins -= 1;
        this.recycleIfDone(block);
      },
    };
  }

  /** Starts reading block `index` (clamped to `sizeBytes`); false when the budget has no room for it. */
  start(index: number, sizeBytes: number): boolean {
    if (this.blocks.has(index)) return true;
    const startBytes = index * this.blockBytes;
    const length = Math.min(this.blockBytes, sizeBytes - startBytes);
    if (length <= 0 || !this.budget.tryAcquire(length)) return false;
    const buffer = this.pool.take(length);
    const block: Block = {
      data: this.readRange(buffer, startBytes).then((readBytes) => buffer.subarray(0, readBytes)),
      buffer,
      heldBytes: length,
      pins: 0,
      settled: false,
      dropped: false,
    };
    block.data.then(
      () => {
        block.settled = true;
        this.recycleIfDone(block);
      },
      () => {
        block.settled = true;
        if (this.blocks.get(index) === block) this.forget(index);
        block.dropped = true;
        this.recycleIfDone(block);
      },
    );
    this.blocks.set(index, block);
    if (this.blocks.size === 1) this.budget.holding(this, true);
    while (this.blocks.size > this.blocksMax) {
      const oldest = this.blocks.keys().next();
      if (oldest.done) break;
      this.drop(oldest.value);
    }
    return true;
  }

  /** Drops the blocks `which` selects (all of them by default). */
  dropWhere(which: (index: number) => boolean = () => true): void {
    for (const index of [...this.blocks.keys()]) if (which(index)) this.drop(index);
  }

  /** Drops least recently used blocks until `bytes` are dropped (see Reclaimable). */
  reclaim(bytes: number): number {
    let droppedBytes = 0;
    for (const [index, block] of this.blocks) {
      if (droppedBytes >= bytes) break;
      droppedBytes += block.heldBytes;
      this.drop(index);
    }
    return droppedBytes;
  }

  private drop(index: number): void {
    const block = this.blocks.get(index);
    if (block === undefined) return;
    this.forget(index);
    block.dropped = true;
    this.recycleIfDone(block);
  }

  /**
   * A dropped block gives its memory back once it has landed (the read writes into its buffer
   * until then) and no reader is copying out of it; the buffer then goes back to the pool.
   */
  private recycleIfDone(block: Block): void {
    if (!block.dropped || !block.settled || block.pins > 0 || block.heldBytes === 0) return;
    this.budget.release(block.heldBytes);
    block.heldBytes = 0;
    this.pool.give(block.buffer);
  }

  private forget(index: number): void {
    this.blocks.delete(index);
    if (this.blocks.size === 0) this.budget.holding(this, false);
  }
}
