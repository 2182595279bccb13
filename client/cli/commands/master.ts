// `gfs master --port P --data DIR [...]`: runs the master in the foreground (logs on stderr).

import type { Command } from 'commander';
import {
  CHECKPOINT_EVERY_RECORDS,
  DEAD_AFTER_MS_DEFAULT,
  LEASE_MS_DEFAULT,
  REBALANCE_BYTES_PER_SECOND_DEFAULT,
  REBALANCE_THRESHOLD_PERCENT_DEFAULT,
  REPLICATION_DEFAULT,
  STARTUP_REPORT_WAIT_MS_MAX,
  TRASH_RETENTION_MS_DEFAULT,
} from '../../../shared/limits.js';
import type { LogLevel } from '../../../shared/log.js';
import { createLogger } from '../../../shared/log.js';
import { runInForeground } from '../foreground.js';
import {
  advertiseOption,
  countOption,
  durationOption,
  LOG_LEVEL_HELP,
  logLevelOption,
  percentOption,
  portOption,
  securityOf,
  sizeOption,
} from '../options.js';
import { addServerTlsOptions, serverTlsOf, type TlsFlags, tlsCaOf } from '../tls-options.js';

interface MasterFlags extends TlsFlags {
  port: number;
  data: string;
  host: string;
  advertise?: string;
  chunkSize?: number;
  replication: number;
  lease: number;
  deadAfter: number;
  trashRetention: number;
  startupWait: number;
  rebalanceRate: number;
  rebalanceThreshold: number;
  checkpointEvery: number;
  logLevel?: LogLevel;
  secretFile?: string;
  insecure?: boolean;
}

export function registerMaster(program: Command): void {
  const command = program
    .command('master')
    .description('run the master')
    .requiredOption('--port <port>', 'port to listen on', portOption)
    .requiredOption('--data <dir>', 'directory for the operation log and checkpoints')
    .option('--host <host>', 'address to listen on (0.0.0.0: every interface)', '127.0.0.1')
    .option(
      '--advertise <host[:port]>',
      'address clients and chunkservers use to reach it (default: --host and the bound port)',
      advertiseOption,
    )
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
      '--rebalance-rate <size>',
      'bytes per second each chunkserver may move to even out disk use (0: no rebalancing)',
      sizeOption,
      REBALANCE_BYTES_PER_SECOND_DEFAULT,
    )
    .option(
      '--rebalance-threshold <percent>',
      'percentage points of disk use from the mean beyond which a chunkserver is rebalanced',
      percentOption,
      REBALANCE_THRESHOLD_PERCENT_DEFAULT,
    )
    .option(
      '--checkpoint-every <records>',
      'log records after which a checkpoint is written in the background',
      countOption,
      CHECKPOINT_EVERY_RECORDS,
    )
    .option('--log-level <level>', LOG_LEVEL_HELP, logLevelOption)
    .option(
      '--secret-file <file>',
      'file holding the cluster secret (default: GFS_SECRET, else DATA/cluster.secret, created on first start)',
    )
    .option('--insecure', 'no cluster secret, tokens or permission checks: every server of the cluster must agree');
  addServerTlsOptions(command).action(async (flags: MasterFlags) => {
    // Read before anything starts: a bad file is one line naming it, not a failed handshake later.
    const tls = serverTlsOf(command, flags);
    const ca = tlsCaOf(command);
    const { startMaster } = await import('../../../master/main.js');
    await runInForeground(() =>
      startMaster({
        host: flags.host,
        port: flags.port,
        ...(flags.advertise === undefined ? {} : { advertise: flags.advertise }),
        dataDir: flags.data,
        ...(flags.chunkSize === undefined ? {} : { chunkSizeBytes: flags.chunkSize }),
        replication: flags.replication,
        leaseMs: flags.lease,
        deadAfterMs: flags.deadAfter,
        trashRetentionMs: flags.trashRetention,
        startupWaitMs: flags.startupWait,
        rebalance: { bytesPerSecond: flags.rebalanceRate, thresholdPercent: flags.rebalanceThreshold },
        checkpointEveryRecords: flags.checkpointEvery,
        ...securityOf(flags),
        ...(tls === undefined ? {} : { tls }),
        ...(ca === undefined ? {} : { ca }),
        logger: createLogger({ role: 'master', node: `${flags.host}:${flags.port}` }, { level: flags.logLevel }),
      }),
    );
  });
}
