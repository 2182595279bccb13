// A byte-count progress bar on stderr, shown only when stderr is a terminal (never in pipes,
// logs or tests). Totals grow as files are discovered.

import { Transform } from 'node:stream';
import { SingleBar } from 'cli-progress';
import { formatSize } from '../../shared/units.js';

export class Progress {
  private readonly bar: SingleBar | undefined;
  private totalBytes = 0;
  private doneBytes = 0;
  private started = false;

  constructor(enabled: boolean = process.stderr.isTTY === true) {
    if (!enabled) return;
    this.bar = new SingleBar({
      stream: process.stderr,
      // cli-progress fills {total} itself with the raw byte count, so the sizes use their own keys.
      format: ' {bar} {percentage}% | {doneSize} of {totalSize} | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
    });
  }

  addTotal(bytes: number): void {
    this.totalBytes += bytes;
    // Started on the first known size, so the bar never flashes "100% of 0".
    if (this.bar && !this.started) {
      this.started = true;
      this.bar.start(this.totalBytes, this.doneBytes, this.sizes());
      return;
    }
    this.bar?.setTotal(this.totalBytes);
    this.bar?.update(this.doneBytes, this.sizes());
  }

  /** A pass-through stream that counts the bytes going by. */
  counter(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.doneBytes += chunk.byteLength;
        if (this.doneBytes > this.totalBytes) this.addTotal(this.doneBytes - this.totalBytes);
        else this.bar?.update(this.doneBytes, this.sizes());
        callback(null, chunk);
      },
    });
  }

  private sizes(): { doneSize: string; totalSize: string } {
    return { doneSize: formatSize(this.doneBytes), totalSize: formatSize(this.totalBytes) };
  }

  stop(): void {
    this.bar?.stop();
  }
}
