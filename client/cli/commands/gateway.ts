// `gfs gateway --port P [--host H] [--master URL]`: the web gateway (dashboard, file browser, REST
// file API; gateway/, docs/gateway.md) in the foreground; SIGINT/SIGTERM stop it and exit 0.

import type { Command } from 'commander';
import { GATEWAY_PORT_DEFAULT } from '../../../shared/limits.js';
import { createLogger } from '../../../shared/log.js';
import { CliContext } from '../context.js';
import { runInForeground } from '../foreground.js';
import { portOption } from '../options.js';
import { addServerTlsOptions, serverTlsOf, type TlsFlags } from '../tls-options.js';

export function registerGateway(program: Command): void {
  const command = program
    .command('gateway')
    .description('run the web gateway: dashboard, file browser and REST file API')
    .option('--port <port>', 'port to listen on', portOption, GATEWAY_PORT_DEFAULT)
    .option('--host <host>', 'address to listen on', '127.0.0.1');
  addServerTlsOptions(command).action(async (flags: { port: number; host: string } & TlsFlags) => {
    const tls = serverTlsOf(command, flags);
    const { defaultMaster, ca } = CliContext.of(command);
    const { startGateway } = await import('../../../gateway/main.js');
    await runInForeground(() =>
      startGateway({
        host: flags.host,
        port: flags.port,
        master: defaultMaster,
        ...(tls === undefined ? {} : { tls }),
        ...(ca === undefined ? {} : { ca }),
        logger: createLogger({ role: 'gateway' }),
      }),
    );
  });
}
