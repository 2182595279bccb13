// `gfs append [--lines] [--raw] PATH`: stdin as one record (or one per line) appended with record
// append; prints each record's offset as a bare decimal line, in input order. Creates PATH. The
// lines of one run land in input order (the SDK's `ordered` records), as with `cat >> file`.

import { once } from 'node:events';
import type { Command } from 'commander';
import type { GfsClient } from '../../sdk/client.js';
import { recordTooLarge } from '../../sdk/records/appender.js';
import { CliContext } from '../context.js';
import { parseClusterTarget } from '../targets.js';

/** Input past the record limit that is still read, only to report its size. */
const OVERSIZE_COUNT_BYTES_MAX = 1024 * 1024 * 1024;
/** Records appended but not yet printed: enough to fill batches, bounded in memory. */
const OUTSTANDING_MAX = 4096;

interface AppendCliOptions {
  lines?: boolean;
  raw?: boolean;
}

export function registerAppend(program: Command): void {
  program
    .command('append')
    .description('append stdin as one record (or one per line) and print the offsets')
    .argument('<path>', 'cluster path (created if missing)')
    .option('--lines', 'one record per line of input (without its newline, unless --raw)')
    .option('--raw', "append the bytes without the SDK's record frame (`gfs records` will not see them)")
    .action(async (path: string, options: AppendCliOptions, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const target = parseClusterTarget(path, context.defaultMaster);
        const client = context.client(target.master);
        const raw = options.raw ?? false;
        const limit = await client.recordPayloadMax({ raw });
        const records = options.lines ? linesOf(process.stdin, raw) : wholeInput(process.stdin, limit, target.path);
        await appendInOrder(client, target.path, records, raw, limit);
      });
    });
}

async function appendInOrder(
  client: GfsClient,
  path: string,
  records: AsyncIterable<Buffer>,
  raw: boolean,
  limit: number,
): Promise<void> {
  const printer = new OffsetPrinter();
  try {
    for await (const record of records) {
      // Checked here too, not only in the SDK, so no line after a refused one is appended: the
      // SDK's refusal reaches the printer only after later lines were handed over.
      if (record.length > limit) throw recordTooLarge(record.length, limit, path);
      await printer.add(client.recordAppend(path, record, { raw, ordered: true }));
    }
  } finally {
    await printer.finish();
  }
}

/**
 * Prints offsets in input order as soon as each is known (a slow producer such as
 * `tail -f log | gfs append --lines` sees them at once); holds at most OUTSTANDING_MAX.
 */
class OffsetPrinter {
  private readonly queue: Promise<{ offset: number }>[] = [];
  private wake: (() => void) | undefined;
  private room: (() => void) | undefined;
  private ended = false;
  private failed = false;
  private readonly done: Promise<void>;

  constructor() {
    this.done = this.run();
    this.done.catch(() => {
      this.failed = true;
    });
  }

  async add(appended: Promise<{ offset: number }>): Promise<void> {
    appended.catch(() => undefined);
    // An append failed: stop reading input; finish() reports the failure.
    if (this.failed) await this.done;
    this.queue.push(appended);
    this.wake?.();
    while (this.queue.length >= OUTSTANDING_MAX) {
      await Promise.race([new Promise<void>((resolve) => (this.room = resolve)), this.done]);
    }
  }

  /** Waits for every offset to be printed; throws the first failure. */
  async finish(): Promise<void> {
    this.ended = true;
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    for (;;) {
      const head = this.queue[0];
      if (head === undefined) {
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const { offset } = await head;
      this.queue.shift();
      if (!process.stdout.write(`${offset}\n`)) await once(process.stdout, 'drain');
      this.room?.();
    }
  }
}

/**
 * All of stdin as one record. Past the limit it keeps no more bytes and only counts the rest (up
 * to OVERSIZE_COUNT_BYTES_MAX, so `yes | gfs append` ends), so the refusal names the real size.
 */
async function* wholeInput(input: NodeJS.ReadableStream, limit: number, path: string): AsyncGenerator<Buffer> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of input) {
    const part = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    if (bytes <= limit) parts.push(part);
    bytes += part.length;
    if (bytes > limit + OVERSIZE_COUNT_BYTES_MAX) throw recordTooLarge(bytes, limit, path, true);
  }
  if (bytes > limit) throw recordTooLarge(bytes, limit, path);
  yield Buffer.concat(parts, bytes);
}

/** Lines split on \n bytes (any encoding); --raw keeps each line's newline so the file stays text. */
async function* linesOf(input: NodeJS.ReadableStream, keepNewline: boolean): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of input) {
    const data = carry.length === 0 ? (chunk as Buffer) : Buffer.concat([carry, chunk as Buffer]);
    let start = 0;
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, start)) {
      yield data.subarray(start, keepNewline ? newline + 1 : newline);
      start = newline + 1;
    }
    carry = Buffer.from(data.subarray(start));
  }
  if (carry.length > 0) yield carry;
}
