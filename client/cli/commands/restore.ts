// `gfs restore PATH [--to DEST]`: brings back the most recently deleted entry at PATH (a file or a
// whole directory tree, or one path inside a trashed directory) with its data. An existing
// destination is never overwritten (`file exists`, exit 1): restore elsewhere with --to.

import type { Command } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { CliContext } from '../context.js';
import { parseClusterTarget } from '../targets.js';

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('bring back a deleted file or directory from the trash')
    .argument('<path>', 'the cluster path it was deleted at')
    .option('--to <path>', 'restore to this path instead (it must not exist)')
    .action(async (path: string, options: { to?: string }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const source = parseClusterTarget(path, context.defaultMaster);
        const destination = options.to === undefined ? undefined : parseClusterTarget(options.to, source.master);
        if (destination !== undefined && destination.master !== source.master) {
          throw new GfsError('INVALID_ARGUMENT', 'cannot restore into another cluster', options.to ?? '');
        }
        await context
          .client(source.master)
          .restore(source.path, destination === undefined ? {} : { to: destination.path });
      });
    });
}
