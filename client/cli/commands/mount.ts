// `gfs mount [--read-only] MOUNTPOINT`: the cluster as a local directory through FUSE, in the
// foreground; SIGINT/SIGTERM unmount it and exit 0 (client/mount/, docs/mount.md).

import type { Command } from 'commander';
import { runMount } from '../../mount/mount.js';
import { CliContext } from '../context.js';

export function registerMount(program: Command): void {
  program
    .command('mount')
    .description('mount the cluster at a local directory (FUSE), until SIGINT/SIGTERM')
    .argument('<mountpoint>', 'an empty local directory')
    .option('--read-only', 'refuse every change')
    .action(async (mountPoint: string, options: { readOnly?: boolean }, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        await runMount({ client: context.client(), mountPoint, readOnly: options.readOnly ?? false });
      });
    });
}
