// `gfs master --port P --data DIR [...]`: runs the master in the foreground (logs on stderr).

import type { Command } from 'commander';
import {
  CHECKPOINT_EVERY_RECORDS,
  DEAD_AFTER_MS_DEFAULT,
  LEASE_MS_DEFAULT,
  REPLICATION_DEFAULT,
  STARTUP_REPORT_WAIT_MS_MAX,
  TRASH_RETENTION_MS_DEFAULT,
} from '../../../shared/limits.js';
import { createLogger } from '../../../shared/log.js';
import { runInForeground } from '../foreground.js';
import { countOption, durationOption, portOption, sizeOption } from '../options.js';

interface MasterFlags {
  port: number;
  data: string;
  host: string;
  chunkSize?: number;
  replication: number;
  lease: number;
  deadAfter: number;
  trashRetention: number;
  startupWait: number;
  checkpointEvery: number;
}

export function registerMaster(program: Command): void {
  program
    .command('master')
    .description('run the master')
    .requiredOption('--port <port>', 'port to listen on', portOption)
    .requiredOption('--data <dir>', 'directory for the operation log and checkpoints')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--chunk-size <size>', 'chunk size, fixed when DATA is first created (default 64MiB)', sizeOption)
    .option('--replication <n>', 'replicas per chunk', countOption, REPLICATION_DEFAULT)
    .option('--lease <duration>', 'primary lease length', durationOption, LEASE_MS_DEFAULT)
    .option(
      '--dead-after <duration>',
      'silence after which a chunkserver is dead',
      durationOption,
      DEAD_AFTER_MS_DEFAULT,
    )
    .option(
      '--trash-retention <duration>',
      'how long deleted files stay in the trash',
      durationOption,
      TRASH_RETENTION_MS_DEFAULT,
    )
    .option(
      '--startup-wait <duration>',
      'longest wait for chunk reports after start',
      durationOption,
      STARTUP_REPORT_WAIT_MS_MAX,
    )
    .option(
      '--checkpoint-every <records>',
      'log records after which a checkpoint is written in the background',
      countOption,
      CHECKPOINT_EVERY_RECORDS,
    )
    .action(async (flags: MasterFlags) => {
      const { startMaster } = await import('../../../master/main.js');
      await runInForeground(() =>
        startMaster({
          host: flags.host,
          port: flags.port,
          dataDir: flags.data,
          ...(flags.chunkSize === undefined ? {} : { chunkSizeBytes: flags.chunkSize }),
          replication: flags.replication,
          leaseMs: flags.lease,
          deadAfterMs: flags.deadAfter,
          trashRetentionMs: flags.trashRetention,
          startupWaitMs: flags.startupWait,
          checkpointEveryRecords: flags.checkpointEvery,
          logger: createLogger({ role: 'master' }),
        }),
      );
    });
}
