// `gfs mv SRC DST`: POSIX rename; into DST when it is an existing directory; replaces a file.

import type { Command } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { baseName, joinPath } from '../../../shared/paths.js';
import { CliContext } from '../context.js';
import { parseClusterTarget } from '../targets.js';

export function registerMv(program: Command): void {
  program
    .command('mv')
    .description('move or rename a file or directory')
    .argument('<source>', 'cluster path')
    .argument('<destination>', 'cluster path')
    .action(async (source: string, destination: string, _options: unknown, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const from = parseClusterTarget(source, context.defaultMaster);
        const to = parseClusterTarget(destination, context.defaultMaster);
        if (from.master !== to.master) {
          throw new GfsError('INVALID_ARGUMENT', 'cannot move between clusters (use cp)', destination);
        }
        const client = context.client(from.master);
        let targetPath = to.path;
        try {
          if ((await client.stat(to.path)).type === 'dir') targetPath = joinPath(to.path, baseName(from.path));
        } catch (error) {
          if (!(error instanceof GfsError && error.code === 'NOT_FOUND')) throw error;
        }
        await client.rename(from.path, targetPath);
      });
    });
}
