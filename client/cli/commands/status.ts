// `gfs status [--json]`: the cluster's chunkservers and replication health.

import type { Command } from 'commander';
import { formatSize } from '../../../shared/units.js';
import { CliContext } from '../context.js';
import { formatStatus, statusJson } from '../format.js';
import { printLines } from '../options.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show cluster health')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const status = await context.client().status();
        if (options.json) process.stdout.write(`${JSON.stringify(statusJson(status))}\n`);
        else printLines(formatStatus(status, formatSize));
      });
    });
}
