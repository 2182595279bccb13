// `gfs stat [--chunks] [--json] PATH`: `key: value` lines or DESIGN §7's JSON.

import type { Command } from 'commander';
import { CliContext } from '../context.js';
import { formatStat, statJson } from '../format.js';
import { printLines } from '../options.js';
import { parseClusterTarget } from '../targets.js';

export function registerStat(program: Command): void {
  program
    .command('stat')
    .description("show a file's or directory's metadata")
    .argument('<path>', 'cluster path')
    .option('--chunks', "add each chunk's handle, version, size and replicas")
    .option('--json', 'print JSON')
    .action(async (path: string, options: { chunks?: boolean; json?: boolean }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const target = parseClusterTarget(path, context.defaultMaster);
        const client = context.client(target.master);
        const entry = await client.stat(target.path);
        const chunks = options.chunks ? (entry.type === 'file' ? await client.fileChunks(target.path) : []) : undefined;
        if (options.json) process.stdout.write(`${JSON.stringify(statJson(entry, chunks))}\n`);
        else printLines(formatStat(entry, chunks));
      });
    });
}
