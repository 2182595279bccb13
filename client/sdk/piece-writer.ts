// Keeps up to PIECES_IN_FLIGHT pieces of one file's writes in flight. `submit` resolves once the
// piece has a slot (so a caller that awaits it never holds more than the in-flight pieces in
// memory: backpressure); `drain` waits for all of them and reports the first failure.

import type { GfsError } from '../../shared/errors.js';
import { PIECES_IN_FLIGHT } from '../../shared/limits.js';
import { writePiece } from './chunk-write.js';
import type { SdkDeps } from './deps.js';
import type { Piece } from './pieces.js';
import { rememberWritten, type WrittenChunks } from './written-chunks.js';

export class PieceWriter {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  /** The chunks written, for `sync()`. */
  readonly written: WrittenChunks = new Map();

  constructor(
    private readonly deps: SdkDeps,
    private readonly path: string,
    private readonly piecesInFlight = PIECES_IN_FLIGHT,
  ) {}

  async submit(piece: Piece, data: Uint8Array): Promise<void> {
    while (this.inFlight.size >= this.piecesInFlight) await Promise.race(this.inFlight);
    this.throwIfFailed();
    const started: Promise<void> = writePiece(this.deps, this.path, piece, data)
      .then((written) => rememberWritten(this.written, written))
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
}
