// `gfs chunkserver --master URL --port P --data DIR [...]`: runs a chunkserver in the foreground.

import type { Command } from 'commander';
import type { GfsError } from '../../../shared/errors.js';
import {
  HEARTBEAT_MS_DEFAULT,
  SCRUB_BYTES_PER_SECOND,
  SCRUB_IDLE_MS,
  SCRUB_INTERVAL_MS,
} from '../../../shared/limits.js';
import type { LogLevel } from '../../../shared/log.js';
import { createLogger } from '../../../shared/log.js';
import { runInForeground } from '../foreground.js';
import {
  advertiseOption,
  durationOption,
  LOG_LEVEL_HELP,
  logLevelOption,
  portOption,
  securityOf,
  sizeOption,
} from '../options.js';
import { addServerTlsOptions, serverTlsOf, type TlsFlags, tlsCaOf } from '../tls-options.js';

interface ChunkserverFlags extends TlsFlags {
  port: number;
  data: string;
  host: string;
  advertise?: string;
  rack: string;
  heartbeat: number;
  scrubRate: number;
  scrubIdle: number;
  scrubInterval: number;
  capacity?: number;
  logLevel?: LogLevel;
  secretFile?: string;
  insecure?: boolean;
}

export function registerChunkserver(program: Command): void {
  const command = program
    .command('chunkserver')
    .description('run a chunkserver')
    .requiredOption('--port <port>', 'port to listen on', portOption)
    .requiredOption('--data <dir>', 'directory for chunk replicas (and this server’s identity)')
    .option('--host <host>', 'address to listen on (0.0.0.0: every interface, then --advertise is needed)', '127.0.0.1')
    .option(
      '--advertise <host[:port]>',
      'address the master hands clients and other chunkservers (default: --host and the bound port)',
      advertiseOption,
    )
    .option('--rack <rack>', 'rack name for replica placement', '')
    .option('--heartbeat <duration>', 'heartbeat interval', durationOption, HEARTBEAT_MS_DEFAULT)
    .option(
      '--scrub-rate <size>',
      'bytes per second the idle scrubber verifies (0: off)',
      sizeOption,
      SCRUB_BYTES_PER_SECOND,
    )
    .option('--scrub-idle <duration>', 'quiet time (no client I/O) before scrubbing', durationOption, SCRUB_IDLE_MS)
    .option('--scrub-interval <duration>', 'how often each replica is verified', durationOption, SCRUB_INTERVAL_MS)
    .option('--capacity <size>', 'space this chunkserver offers, at most (default: what its disk has)', sizeOption)
    .option('--log-level <level>', LOG_LEVEL_HELP, logLevelOption)
    .option(
      '--secret-file <file>',
      'file holding the cluster secret: the master’s DATA/cluster.secret (default: GFS_SECRET)',
    )
    .option('--insecure', 'no cluster secret, tokens or permission checks: every server of the cluster must agree');
  addServerTlsOptions(command).action(async (flags: ChunkserverFlags) => {
    // `--master` is the program-wide option (accepted before or after the command name).
    const masterUrl = command.optsWithGlobals<{ master: string }>().master;
    const tls = serverTlsOf(command, flags);
    const ca = tlsCaOf(command);
    const { startChunkserver } = await import('../../../chunkserver/main.js');
    // A master that refuses this chunkserver's credentials will refuse them on every retry: fail
    // at once with the reason, rather than run unregistered (docs/security-peer.md).
    let refuse: (error: GfsError) => void = () => undefined;
    const refused = new Promise<GfsError>((resolve) => {
      refuse = resolve;
    });
    await runInForeground(
      () =>
        startChunkserver({
          masterUrl,
          host: flags.host,
          port: flags.port,
          dataDir: flags.data,
          ...(flags.advertise === undefined ? {} : { advertise: flags.advertise }),
          rack: flags.rack,
          heartbeatMs: flags.heartbeat,
          ...securityOf(flags),
          ...(flags.capacity === undefined ? {} : { capacityBytesMax: flags.capacity }),
          scrub: { bytesPerSecond: flags.scrubRate, idleMs: flags.scrubIdle, intervalMs: flags.scrubInterval },
          ...(tls === undefined ? {} : { tls }),
          ...(ca === undefined ? {} : { ca }),
          // The node binding (its id, from DATA) is added by startChunkserver once the id is read.
          logger: createLogger({ role: 'chunkserver' }, { level: flags.logLevel }),
          onRefusedByMaster: refuse,
        }),
      refused,
    );
  });
}
