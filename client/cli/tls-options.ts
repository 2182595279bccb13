// The TLS options of the command line (docs/security-tls.md): `--tls-cert FILE --tls-key FILE` on
// every server (both or neither), and the program-wide `--tls-ca FILE`, the CA certificates every
// client (and every server calling its peers) trusts besides Node's roots.

import { type Command, Option } from 'commander';
import { readCaFile, readServerTls, type ServerTls } from '../../shared/tls.js';

const EXIT_USAGE = 2;

export interface TlsFlags {
  tlsCert?: string;
  tlsKey?: string;
}

/** The program-wide `--tls-ca`, beside `--master`: it says whom a client trusts, on any command. */
export function tlsCaOption(): Option {
  return new Option('--tls-ca <file>', 'PEM CA certificates to trust besides the system ones (a TLS cluster)');
}

/** Adds `--tls-cert` and `--tls-key` to a server command. */
export function addServerTlsOptions(command: Command): Command {
  return command
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert');
}

/**
 * The certificate and key a server serves with, read and checked now (a bad file: one line naming
 * it, exit 1), or undefined without TLS. One of the two alone is a usage error (exit 2).
 */
export function serverTlsOf(command: Command, flags: TlsFlags): ServerTls | undefined {
  const paths = tlsPathsOf(command, flags);
  return paths === undefined ? undefined : readServerTls(paths.cert, paths.key);
}

/** The two paths, checked to come together, or undefined when neither is given. */
export function tlsPathsOf(command: Command, flags: TlsFlags): { cert: string; key: string } | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) {
    command.error(`--tls-cert and --tls-key go together: give both or neither`, {
      exitCode: EXIT_USAGE,
      code: 'gfs.usage',
    });
  }
  return { cert: flags.tlsCert, key: flags.tlsKey };
}

/** The file named by the program-wide `--tls-ca` (flag, GFS_TLS_CA or config file), if any. */
export function tlsCaPathOf(command: Command): string | undefined {
  const path = command.optsWithGlobals<{ tlsCa?: string }>().tlsCa;
  return path === undefined || path === '' ? undefined : path;
}

/** The PEM text of the program-wide `--tls-ca`, read now, or undefined when none is given. */
export function tlsCaOf(command: Command): string | undefined {
  const path = tlsCaPathOf(command);
  return path === undefined ? undefined : readCaFile(path);
}
