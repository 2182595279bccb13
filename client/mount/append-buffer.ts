// O_APPEND writes of one file. The kernel hands us the offset it believes is the end, which is
// stale as soon as another mount appends too; so the offset is ignored and each batch of appends
// reserves its own range at the master (`reserveAppend`: the file grows atomically and the old end
// comes back), then writes there. Two mounts appending at once each get disjoint ranges, so
// nothing is overwritten (docs/mount.md, "O_APPEND").
//
// Batches: appends gathered up to WRITE_GATHER_BYTES form one reservation; a FUSE write (up to
// 128 KiB) is never split, so each one lands whole. Reservations are taken in order, one at a
// time, so this mount's appends keep their order; the writes behind them overlap.

import type { ByteBudget } from './byte-budget.js';
import { IdleTimer, SerialTurns } from './serial-turns.js';
import type { RangeWriter } from './write-buffer.js';

export type Reserver = (lengthBytes: number) => Promise<number>;

export interface AppendBufferOptions {
  gatherBytes: number;
  batchesInFlight: number;
  idleSendMs: number;
  budget: ByteBudget;
}

export class AppendBuffer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** The last reservation asked for: the next waits for it, so ranges follow call order. */
  private lastReservation: Promise<unknown> = Promise.resolve();
  private failure: unknown;
  private readonly idle = new IdleTimer();
  private readonly turns = new SerialTurns();
  /** Where this mount's last append ended, once known (for the size a stat shows). */
  private reservedEndBytes = 0;

  constructor(
    private readonly reserve: Reserver,
    private readonly writeRange: RangeWriter,
    private readonly options: AppendBufferOptions,
  ) {}

  get dirty(): boolean {
    return this.pendingBytes > 0 || this.inFlight.size > 0;
  }

  /** Bytes appended but not yet given a place in the file. */
  get unplacedBytes(): number {
    return this.pendingBytes;
  }

  /** End of the highest range this mount reserved. */
  get endBytes(): number {
    return this.reservedEndBytes;
  }

  append(data: Buffer): Promise<void> {
    return this.turns.run(async () => {
      this.throwFailure();
      if (this.pendingBytes > 0 && this.pendingBytes + data.byteLength > this.options.gatherBytes) await this.send();
      if (!this.options.budget.tryAcquire(data.byteLength, true)) {
        await this.send();
        await this.options.budget.acquire(data.byteLength);
      }
      this.pending.push(Buffer.from(data));
      this.pendingBytes += data.byteLength;
      if (this.pendingBytes >= this.options.gatherBytes) await this.send();
      else this.armIdleTimer();
    });
  }

  flush(): Promise<void> {
    return this.turns.run(async () => {
      await this.sendAndWait();
      this.throwFailure();
    });
  }

  drain(): Promise<void> {
    return this.turns.run(() => this.sendAndWait());
  }

  private async send(): Promise<void> {
    this.idle.clear();
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    const heldBytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    while (this.inFlight.size >= this.options.batchesInFlight) await Promise.race(this.inFlight);
    const reservation = this.lastReservation.then(() => this.reserve(data.byteLength));
    this.lastReservation = reservation.catch(() => undefined);
    const done: Promise<void> = reservation
      .then(async (offsetBytes) => {
        this.reservedEndBytes = Math.max(this.reservedEndBytes, offsetBytes + data.byteLength);
        await this.writeRange(data, offsetBytes);
      })
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => {
        this.inFlight.delete(done);
        this.options.budget.release(heldBytes);
      });
    this.inFlight.add(done);
  }

  private async sendAndWait(): Promise<void> {
    await this.send();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private throwFailure(): void {
    const failure = this.failure;
    if (failure === undefined) return;
    this.failure = undefined;
    throw failure;
  }

  private armIdleTimer(): void {
    this.idle.arm(this.options.idleSendMs, () => void this.turns.run(() => this.send()));
  }
}
