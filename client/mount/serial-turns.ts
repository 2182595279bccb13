// Two small mechanisms the mount's write and append buffers share: work on one file's buffer runs
// one piece at a time (a send must not interleave with the write that fills the buffer), and a
// buffer that sat idle for a while sends what it holds.

/** Runs bodies one after another, in call order; a failure ends only its own turn. */
export class SerialTurns {
  private last: Promise<void> = Promise.resolve();

  run<T>(body: () => Promise<T>): Promise<T> {
    const result = this.last.then(body);
    this.last = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** One pending timer, re-armed by each call to `arm`; it never keeps the process alive. */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;

  arm(delayMs: number, fire: () => void): void {
    this.clear();
    if (delayMs <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      fire();
    }, delayMs);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
