// Drops the duplicates that retried appends leave (DESIGN §5: at least once), with bounded memory.
//
// The appender never lets a writer's sequence numbers in flight span more than SEQ_WINDOW: it
// waits before numbering a batch whose last record would be SEQ_WINDOW past the oldest batch still
// in flight. So, reading a file in order, each writer's records lie within SEQ_WINDOW of the
// highest sequence number seen from that writer so far; remembering the numbers seen in that
// window is enough to recognise every duplicate. A record below the window (possible only after
// replicas diverged around a failover) is let through: a duplicate is better than a loss.

/** Widest spread of one writer's sequence numbers in flight (the appender enforces it). */
export const SEQ_WINDOW = 65_536;
/** Writers remembered at once; the least recently seen is forgotten first. */
export const WRITERS_MAX = 10_000;

class WriterWindow {
  maxSeq = -1;
  readonly seen = new Set<number>();
}

export class DuplicateFilter {
  private readonly writers = new Map<string, WriterWindow>();
  /** The most recently seen writer: records come in runs from one writer (batches). */
  private lastWriter: string | undefined;
  private lastWindow: WriterWindow | undefined;

  /** True the first time (writer, seq) is offered within its window; false for a duplicate. */
  firstSeen(writer: string, seq: number): boolean {
    const window = writer === this.lastWriter ? (this.lastWindow as WriterWindow) : this.windowOf(writer);
    if (seq <= window.maxSeq - SEQ_WINDOW) return true;
    if (window.seen.has(seq)) return false;
    window.seen.add(seq);
    if (seq > window.maxSeq) {
      window.maxSeq = seq;
      if (window.seen.size > 2 * SEQ_WINDOW) prune(window);
    }
    return true;
  }

  /** The writer's window, moved to the most-recent end (least recently seen writers go first). */
  private windowOf(writer: string): WriterWindow {
    let window = this.writers.get(writer);
    if (window === undefined) {
      if (this.writers.size >= WRITERS_MAX) {
        const oldest = this.writers.keys().next().value;
        if (oldest !== undefined) this.writers.delete(oldest);
      }
      window = new WriterWindow();
    } else {
      this.writers.delete(writer);
    }
    this.writers.set(writer, window);
    this.lastWriter = writer;
    this.lastWindow = window;
    return window;
  }
}

function prune(window: WriterWindow): void {
  const floor = window.maxSeq - SEQ_WINDOW;
  for (const seq of window.seen) if (seq <= floor) window.seen.delete(seq);
}
