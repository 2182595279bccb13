// Fixed-size, aligned blocks of one file read from the cluster and kept in memory, least recently
// used dropped first beyond `blocksMax`. Each block's bytes come from the mount-wide budget (a
// block is simply not cached when there is none), and a writer short of memory takes them back
// (`reclaim`); a block still arriving when it is dropped gives its bytes back when it lands, and a
// block whose read failed is forgotten so the next read tries again.

import type { ByteBudget, Reclaimable } from './byte-budget.js';

/** Reads `length` bytes at `offsetBytes` (fewer only at the end of the file). */
export type RangeReader = (length: number, offsetBytes: number) => Promise<Buffer>;

interface Block {
  data: Promise<Buffer>;
  heldBytes: number;
  settled: boolean;
  dropped: boolean;
}

export class BlockCache implements Reclaimable {
  /** Map order is use order: the least recently used block comes first. */
  private readonly blocks = new Map<number, Block>();

  constructor(
    readonly blockBytes: number,
    private readonly blocksMax: number,
    private readonly readRange: RangeReader,
    private readonly budget: ByteBudget,
  ) {}

  has(index: number): boolean {
    return this.blocks.has(index);
  }

  /** The block's bytes (shorter at the end of the file), marking it recently used; undefined if not cached. */
  get(index: number): Promise<Buffer> | undefined {
    const block = this.blocks.get(index);
    if (block === undefined) return undefined;
    this.blocks.delete(index);
    this.blocks.set(index, block);
    return block.data;
  }

  /** Starts reading block `index` (clamped to `sizeBytes`); false when the budget has no room for it. */
  start(index: number, sizeBytes: number): boolean {
    if (this.blocks.has(index)) return true;
    const startBytes = index * this.blockBytes;
    const length = Math.min(this.blockBytes, sizeBytes - startBytes);
    if (length <= 0 || !this.budget.tryAcquire(length)) return false;
    const block: Block = {
      data: this.readRange(length, startBytes),
      heldBytes: length,
      settled: false,
      dropped: false,
    };
    block.data.then(
      () => {
        block.settled = true;
        if (block.dropped) this.budget.release(block.heldBytes);
      },
      () => {
        block.settled = true;
        if (this.blocks.get(index) === block) this.forget(index);
        if (!block.dropped) block.dropped = true;
        this.budget.release(block.heldBytes);
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
    // Memory of a block still arriving is given back when it lands.
    if (block.settled) this.budget.release(block.heldBytes);
  }

  private forget(index: number): void {
    this.blocks.delete(index);
    if (this.blocks.size === 0) this.budget.holding(this, false);
  }
}
