// Keeps up to PIECES_IN_FLIGHT pieces of one file's writes in flight. `submit` resolves once the
// piece has a slot (so a caller that awaits it never holds more than the in-flight pieces in
// memory: backpressure); `drain` waits for all of them and reports the first failure.

import type { GfsError } from '../../shared/errors.js';
import { PIECES_IN_FLIGHT } from '../../shared/limits.js';
import { type WrittenPiece, writePiece } from './chunk-write.js';
import type { SdkDeps } from './deps.js';
import type { Piece } from './pieces.js';

export class PieceWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  /** Chunk handle → replicas written, for `sync()`. */
  readonly written = new Map<string, Set<string>>();

  constructor(
    private readonly deps: SdkDeps,
    private readonly path: string,
    private readonly piecesInFlight = PIECES_IN_FLIGHT,
  ) {}

  async submit(piece: Piece, data: Uint8Array): Promise<void> {
    while (this.inFlight.size >= this.piecesInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const started: Promise<void> = writePiece(this.deps, this.path, piece, data)
      .then((written) => this.remember(written))
      .catch((error: unknown) => {
        this.failure ??= error;
      })
      .finally(() => this.inFlight.delete(started));
    this.inFlight.add(started);
  }

  /** Waits for every submitted piece; throws the first error any of them met. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  get failed(): GfsError | undefined {
    return this.failure as GfsError | undefined;
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private remember(written: WrittenPiece): void {
    let replicas = this.written.get(written.handle);
    if (replicas === undefined) {
      replicas = new Set();
      this.written.set(written.handle, replicas);
    }
    for (const replica of written.replicas) replicas.add(replica);
  }
}
