// `gfs rm [-r] [-f] PATH...`: a missing path is an error unless -f; a directory needs -r.

import type { Command } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { CliContext } from '../context.js';
import { parseClusterTarget } from '../targets.js';

export function registerRm(program: Command): void {
  program
    .command('rm')
    .description('remove files or directories')
    .argument('<paths...>', 'cluster paths')
    .option('-r, --recursive', 'remove directories and their contents')
    .option('-f, --force', 'ignore missing paths')
    .action(async (paths: string[], options: { recursive?: boolean; force?: boolean }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        for (const path of paths) {
          const target = parseClusterTarget(path, context.defaultMaster);
          const client = context.client(target.master);
          try {
            const entry = await client.stat(target.path);
            if (entry.type === 'dir' && !options.recursive) {
              throw new GfsError('IS_A_DIRECTORY', 'is a directory (use -r)', target.path);
            }
            await client.rm(target.path, { recursive: options.recursive ?? false });
          } catch (error) {
            if (options.force && error instanceof GfsError && error.code === 'NOT_FOUND') continue;
            throw error;
          }
        }
      });
    });
}
