// When a client (or a peer cloning) last used this chunkserver's data path: pushes, reads,
// mutations and clone writes touch it. The scrubber runs only once it has been quiet for a while.

export class ClientActivity {
  private lastMs: number;

  /** `clock` is monotonic milliseconds; the server's start counts as activity. */
  constructor(private readonly clock: () => number) {
    this.lastMs = clock();
  }

  touch(): void {
    this.lastMs = this.clock();
  }

  /** Milliseconds since the last client I/O. */
  quietForMs(nowMs = this.clock()): number {
    return nowMs - this.lastMs;
  }
}
