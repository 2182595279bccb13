// Reuses the large buffers pushed bodies land in. A fresh multi-MiB buffer per push makes V8 run
// full collections for the external memory churn (measured: GC was the largest CPU cost on the
// push path); recycling them after the write that consumed them avoids most of it.

/** Buffers smaller than this are cheap to allocate and are not pooled. */
const POOLED_BYTES_MIN = 256 * 1024;
/** Bytes kept idle in the pool at most. */
export const POOL_BYTES_MAX = 64 * 1024 * 1024;

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private idleBytes = 0;

  constructor(private readonly idleBytesMax = POOL_BYTES_MAX) {}

  /** A buffer of exactly `bytes` (contents undefined). */
  take(bytes: number): Buffer {
    if (bytes >= POOLED_BYTES_MIN) {
      const reused = this.free.get(bytes)?.pop();
      if (reused !== undefined) {
        this.idleBytes -= reused.length;
        return reused;
      }
    }
    return Buffer.allocUnsafeSlow(bytes);
  }

  /** Hands a buffer from `take` back; the caller must not touch it afterwards. */
  give(buffer: Buffer): void {
    if (buffer.length < POOLED_BYTES_MIN || this.idleBytes + buffer.length > this.idleBytesMax) return;
    let list = this.free.get(buffer.length);
    if (list === undefined) {
      list = [];
      this.free.set(buffer.length, list);
    }
    list.push(buffer);
    this.idleBytes += buffer.length;
  }

  clear(): void {
    this.free.clear();
    this.idleBytes = 0;
  }
}
