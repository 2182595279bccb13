// `gfs snapshot SRC DST`: copy-on-write snapshot of a file or a directory tree (DESIGN §3). DST
// must not exist (unlike `mv`, never "into" an existing directory: a snapshot names its copy).
// Prints nothing on success, as `gfs mv` does.

import type { Command } from 'commander';
import { CliContext } from '../context.js';
import { parseClusterPair } from '../targets.js';

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .description('copy-on-write snapshot of a file or directory tree')
    .argument('<source>', 'cluster path')
    .argument('<destination>', 'cluster path (must not exist)')
    .action(async (source: string, destination: string, _options: unknown, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const { master, from, to } = parseClusterPair(
          source,
          destination,
          context.defaultMaster,
          'cannot snapshot into another cluster (use cp)',
        );
        await context.client(master).snapshot(from, to);
      });
    });
}
