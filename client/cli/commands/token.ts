// `gfs token create USER` mints a client token with the cluster secret when it is at hand (the
// master host's DATA/cluster.secret, --secret-file or GFS_SECRET): that is how the first admin is
// made, with no master running and nobody to ask. Without it, a superuser asks the master to sign.
// `gfs login --token T` stores a token someone gave you; `gfs whoami` says who the master sees.

import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { mintClientToken, readClientClaims } from '../../../shared/security/client-token.js';
import { parseSecret, readSecretFile, SECRET_ENV, SECRET_FILE_NAME } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { saveToken } from '../../sdk/credentials.js';
import { CliContext } from '../context.js';
import { durationOption } from '../options.js';

interface CreateFlags {
  admin?: boolean;
  groups?: string[];
  expires?: number;
  secretFile?: string;
  data?: string;
  save?: boolean;
}

function groupsOption(text: string): string[] {
  const groups = text.split(',').map((group) => group.trim());
  if (groups.some((group) => group === '')) throw new InvalidArgumentError('a comma-separated list of group names');
  return groups;
}

/** The secret to sign with: --secret-file, else --data DIR's, else GFS_SECRET; none: ask the master. Never created here. */
async function secretOf(flags: CreateFlags): Promise<Buffer | undefined> {
  if (flags.secretFile !== undefined) return readSecretFile(flags.secretFile);
  if (flags.data !== undefined) return readSecretFile(join(flags.data, SECRET_FILE_NAME));
  const fromEnv = process.env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseSecret(fromEnv, SECRET_ENV);
  return undefined;
}

/** The user a token names, read without verifying (only for the credentials file's label). */
function userOf(token: string): string | undefined {
  return readClientClaims(token)?.user;
}

async function save(master: string, token: string): Promise<void> {
  const path = await saveToken(master, token, userOf(token));
  process.stderr.write(`gfs: token saved for ${master} in ${path}\n`);
}

export function registerToken(program: Command): void {
  const token = program.command('token').description('client tokens (docs/security-users.md)');
  token
    .command('create')
    .description('make a client token and print it: with the cluster secret, else by the master (superusers)')
    .argument('<user>', 'the user the token names')
    .option('--admin', 'a superuser: passes every permission check')
    .option('--groups <g1,g2>', "the user's groups (default: one named as the user)", groupsOption)
    .option('--expires <duration>', 'valid for this long (e.g. 90d); default: no expiry', durationOption)
    .option('--secret-file <path>', 'the cluster secret file')
    .option('--data <dir>', "the master's data directory (its cluster.secret)")
    .option('--save', 'also store it in the credentials file for --master')
    .action(async (user: string, flags: CreateFlags, command: Command) => {
      const request = {
        user,
        ...(flags.groups === undefined ? {} : { groups: flags.groups }),
        superuser: flags.admin === true,
        ...(flags.expires === undefined ? {} : { validForMs: flags.expires }),
      };
      const secret = await secretOf(flags);
      const context = CliContext.of(command);
      let minted: string | undefined;
      if (secret !== undefined) minted = mintClientToken(deriveClusterKeys(secret), request);
      else
        await context.run(async () => {
          minted = await context.client().createToken(request);
        });
      if (minted === undefined) throw new GfsError('INTERNAL', 'no token made', user);
      process.stdout.write(`${minted}\n`);
      if (flags.save === true) await save(context.defaultMaster, minted);
    });
}

export function registerWhoami(program: Command): void {
  program
    .command('whoami')
    .description('the user, groups and superuser flag the master takes this client for')
    .action(async (_flags: object, command: Command) => {
      const context = CliContext.of(command);
      await context.run(async () => {
        const { user, groups, superuser } = await context.client().whoami();
        process.stdout.write(`${user}${superuser ? ' (superuser)' : ''} groups=${groups.join(',')}\n`);
      });
    });
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('store a client token for --master in the credentials file')
    .requiredOption('--token <token>', 'the token (from gfs token create)')
    .action(async (flags: { token: string }, command: Command) => {
      // The master checks it; here only that it is a client token at all, not a typo.
      if (userOf(flags.token) === undefined) {
        throw new GfsError('INVALID_ARGUMENT', 'not a client token', 'gfs login');
      }
      await save(command.optsWithGlobals<{ master: string }>().master, flags.token);
    });
}
