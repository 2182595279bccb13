// What every client command shares: the master it talks to by default, one GfsClient per master
// (closed when the command ends), and the one-line error format `gfs: <what failed>: <subject>`.

import type { Command } from 'commander';
import { GfsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { GfsClient } from '../sdk/client.js';
import { errnoOf, localError } from './stores.js';
import { tlsCaOf } from './tls-options.js';

export class CliContext {
  private readonly clients = new Map<string, GfsClient>();

  /** `ca`: PEM certificates every client trusts besides Node's roots (`--tls-ca`). */
  constructor(
    readonly defaultMaster: string,
    readonly ca?: string,
  ) {}

  /**
   * The context of a command from its merged options: `--master` before or after the command, else
   * GFS_MASTER, else the config file, else the default (client/cli/config/); `--tls-ca` alike.
   */
  static of(command: Command): CliContext {
    return new CliContext(command.optsWithGlobals<{ master: string }>().master, tlsCaOf(command));
  }

  /**
   * The client of `master`, made at the first call (with `logger` and `holder`, if that call gives
   * them: `holder` makes it a holder of directory delegations, as the mount's write-back is).
   */
  client(master: string = this.defaultMaster, logger?: Logger, holder?: string): GfsClient {
    let client = this.clients.get(master);
    if (client === undefined) {
      client = new GfsClient({
        master,
        ...(logger === undefined ? {} : { logger }),
        ...(this.ca === undefined ? {} : { ca: this.ca }),
        ...(holder === undefined ? {} : { holder }),
      });
      this.clients.set(master, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(clients.map((client) => client.close()));
  }

  /** Runs a command body and always closes the clients it opened. */
  async run(body: (context: CliContext) => Promise<void>): Promise<void> {
    try {
      await body(this);
    } finally {
      await this.close();
    }
  }
}

const CODE_TEXT: Partial<Record<GfsError['code'], string>> = {
  NOT_FOUND: 'no such file or directory',
  ALREADY_EXISTS: 'file exists',
  NOT_A_DIRECTORY: 'not a directory',
  IS_A_DIRECTORY: 'is a directory',
  NOT_EMPTY: 'directory not empty',
};

/** The single stderr line for a failure (no stack trace, no newline inside). */
export function describeError(error: unknown): string {
  let gfsError: GfsError | undefined;
  if (error instanceof GfsError) gfsError = error;
  else if (errnoOf(error)?.startsWith('E')) {
    const path = (error as { path?: unknown }).path;
    gfsError = localError(error, typeof path === 'string' ? path : '');
  }
  const text =
    gfsError === undefined
      ? String((error as Error)?.message ?? error)
      : `${messageOf(gfsError)}${gfsError.subject ? `: ${gfsError.subject}` : ''}`;
  return `gfs: ${text.replace(/\s*\n\s*/g, ' ')}`;
}

function messageOf(error: GfsError): string {
  // A message that says nothing more than the code (or its HTTP status) gets our wording.
  const vague = error.message === '' || error.message === error.code || /^HTTP \d+$/.test(error.message);
  return vague ? (CODE_TEXT[error.code] ?? error.code) : error.message;
}
