// `gfs mkdir [-p] PATH...`: without -p an existing path or a missing parent is an error.

import type { Command } from 'commander';
import { CliContext } from '../context.js';
import { parseClusterTarget } from '../targets.js';

export function registerMkdir(program: Command): void {
  program
    .command('mkdir')
    .description('create directories')
    .argument('<paths...>', 'cluster paths')
    .option('-p, --parents', 'create missing parents; an existing directory is fine')
    .action(async (paths: string[], options: { parents?: boolean }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        for (const path of paths) {
          const target = parseClusterTarget(path, context.defaultMaster);
          await context.client(target.master).mkdir(target.path, { recursive: options.parents ?? false });
        }
      });
    });
}
