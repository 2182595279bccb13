// A byte-count progress bar on stderr, shown only when stderr is a terminal (never in pipes,
// logs or tests). Totals grow as files are discovered.

import { Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { formatSize } from '../../shared/units.js';

export class Progress {
  private readonly bar: SingleBar | undefined;
  private totalBytes = 0;
  private doneBytes = 0;

  constructor(enabled: boolean = process.stderr.isTTY === true) {
    if (!enabled) return;
    this.bar = new SingleBar({
      stream: process.stderr,
      format: ' {bar} {percentage}% | {done} of {total}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
    });
    this.bar.start(0, 0, { done: formatSize(0), total: formatSize(0) });
  }

  addTotal(bytes: number): void {
    this.totalBytes += bytes;
    this.bar?.setTotal(this.totalBytes);
    this.bar?.update(this.doneBytes, { done: formatSize(this.doneBytes), total: formatSize(this.totalBytes) });
  }

  /** A pass-through stream that counts the bytes going by. */
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.doneBytes += chunk.byteLength;
        if (this.doneBytes > this.totalBytes) this.addTotal(this.doneBytes - this.totalBytes);
        else this.bar?.update(this.doneBytes, { done: formatSize(this.doneBytes), total: formatSize(this.totalBytes) });
        callback(null, chunk);
      },
    });
  }

  stop(): void {
    this.bar?.stop();
  }
}
