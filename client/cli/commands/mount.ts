// `gfs mount [--read-only] MOUNTPOINT`: the cluster as a local directory through FUSE, in the
// foreground; SIGINT/SIGTERM unmount it and exit 0 (client/mount/, docs/mount.md).

import type { Command } from 'commander';
import type { LogLevel } from '../../../shared/log.js';
import { runMount } from '../../mount/mount.js';
import { CliContext } from '../context.js';
import { LOG_LEVEL_HELP, logLevelOption, portOption } from '../options.js';

interface MountFlags {
  readOnly?: boolean;
  writeBack?: boolean;
  metricsPort?: number;
  logLevel?: LogLevel;
}

export function registerMount(program: Command): void {
  program
    .command('mount')
    .description('mount the cluster at a local directory (FUSE), until SIGINT/SIGTERM')
    .argument('<mountpoint>', 'an empty local directory')
    .option('--read-only', 'refuse every change')
    .option(
      '--no-write-back',
      'every close waits until the file is on every replica (default: new small files in a directory this mount is creating many files in are sent in the background; fsync still waits)',
    )
    .option('--metrics-port <port>', 'serve FUSE operation counts on http://127.0.0.1:PORT/metrics', portOption)
    .option('--log-level <level>', LOG_LEVEL_HELP, logLevelOption)
    .action(async (mountPoint: string, options: MountFlags, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        await runMount({
          client: (logger, holder) => context.client(undefined, logger, holder),
          mountPoint,
          readOnly: options.readOnly ?? false,
          writeBack: options.writeBack ?? true,
          metricsPort: options.metricsPort,
          logLevel: options.logLevel,
        });
      });
    });
}
