// `gfs mv SRC DST`: POSIX rename; into DST when it is an existing directory; replaces a file.

import type { Command } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { baseName, joinPath } from '../../../shared/paths.js';
import { CliContext } from '../context.js';
import { parseClusterPair } from '../targets.js';

export function registerMv(program: Command): void {
  program
    .command('mv')
    .description('move or rename a file or directory')
    .argument('<source>', 'cluster path')
    .argument('<destination>', 'cluster path')
    .action(async (source: string, destination: string, _options: unknown, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const { master, from, to } = parseClusterPair(
          source,
          destination,
          context.defaultMaster,
          'cannot move between clusters (use cp)',
        );
        const client = context.client(master);
        let targetPath = to;
        try {
          if ((await client.stat(to)).type === 'dir') targetPath = joinPath(to, baseName(from));
        } catch (error) {
          if (!(error instanceof GfsError && error.code === 'NOT_FOUND')) throw error;
        }
        await client.rename(from, targetPath);
      });
    });
}
