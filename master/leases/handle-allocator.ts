// Hands out new chunk handles. A chunk is granted to replicas BEFORE its addChunk record is
// logged, so a handle can exist on chunkservers without being in the log. To never reuse such a
// handle after a restart, the master logs a reservation of a block of handles before using any of
// them (state.nextHandle is the reserved ceiling); a restart skips what was left of the block.

import type { MasterState, ReserveHandlesRecord } from '../state/types.js';

export const HANDLE_BLOCK = 1024n;

export class HandleAllocator {
  private cursor: bigint;
  /** Handles below this are reserved by a DURABLE record (state.nextHandle moves before that). */
  private ceiling: bigint;
  private reserving: Promise<unknown> | undefined;

  constructor(
    private readonly state: MasterState,
    private readonly commit: (record: ReserveHandlesRecord) => Promise<unknown>,
  ) {
    this.cursor = state.nextHandle;
    this.ceiling = state.nextHandle;
  }

  /** `count` fresh handles, as decimal strings. */
  async allocate(count: number): Promise<string[]> {
    const handles: string[] = [];
    while (handles.length < count) {
      if (this.cursor < this.ceiling) {
        handles.push(this.cursor.toString());
        this.cursor++;
        continue;
      }
      if (this.reserving === undefined) {
        const wanted = BigInt(count - handles.length);
        const next = this.state.nextHandle + (wanted > HANDLE_BLOCK ? wanted : HANDLE_BLOCK);
        this.reserving = this.commit({ op: 'reserveHandles', nextHandle: next.toString() })
          .then(() => {
            this.ceiling = next;
          })
          .finally(() => {
            this.reserving = undefined;
          });
      }
      await this.reserving;
    }
    return handles;
  }
}
