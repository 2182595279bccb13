// `gfs records [--follow] [--offsets] PATH`: each framed record's payload on its own line
// (a newline is added unless the payload ends with one), padding and duplicates dropped;
// `--offsets` prefixes `<offset>\t`; `--follow` waits for more until SIGINT/SIGTERM.

import { once } from 'node:events';
import type { Command } from 'commander';
import { CliContext } from '../context.js';
import { parseClusterTarget } from '../targets.js';

interface RecordsCliOptions {
  follow?: boolean;
  offsets?: boolean;
}

export function registerRecords(program: Command): void {
  program
    .command('records')
    .description("print a record-append file's records, one per line")
    .argument('<path>', 'cluster path')
    .option('-f, --follow', 'keep printing records as they are appended (like tail -f)')
    .option('--offsets', 'prefix each record with its offset and a tab')
    .action(async (path: string, options: RecordsCliOptions, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const target = parseClusterTarget(path, context.defaultMaster);
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const records = context.client(target.master).records(target.path, {
            follow: options.follow ?? false,
            signal: stop.signal,
          });
          for await (const record of records) {
            const prefix = options.offsets ? `${record.offset}\t` : '';
            const newline = record.data.at(-1) === 10 ? '' : '\n';
            const more = process.stdout.write(Buffer.concat([Buffer.from(prefix), record.data, Buffer.from(newline)]));
            if (!more) await once(process.stdout, 'drain');
            if (stop.signal.aborted) break;
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      });
    });
}
