// `gfs chmod [-R] MODE PATH...` and `gfs chown [-R] USER[:GROUP] PATH...` (issue 7): the master
// decides who may (docs/security-users.md); -R walks each directory tree top-down.

import type { Command } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import type { GfsClient } from '../../sdk/client.js';
import { CliContext } from '../context.js';
import { parseModeSpec } from '../mode-spec.js';
import { parseClusterTarget } from '../targets.js';

/** Calls `change` on `path`, and with `recursive` on everything below it, parents first. */
async function eachPath(
  client: GfsClient,
  path: string,
  recursive: boolean,
  change: (path: string) => Promise<void>,
): Promise<void> {
  await change(path);
  if (!recursive) return;
  const entry = await client.stat(path);
  if (entry.type !== 'dir') return;
  for (const child of await client.readdir(path)) await eachPath(client, child.path, true, change);
}

/** Runs `change` on each cluster path given (and, recursive, everything below), with its master's client. */
async function eachTarget(
  command: Command,
  paths: readonly string[],
  recursive: boolean,
  change: (client: GfsClient, path: string) => Promise<unknown>,
): Promise<void> {
  const context = CliContext.of(command);
  await context.run(async () => {
    for (const path of paths) {
      const target = parseClusterTarget(path, context.defaultMaster);
      const client = context.client(target.master);
      await eachPath(client, target.path, recursive, async (each) => {
        await change(client, each);
      });
    }
  });
}

export function registerChmod(program: Command): void {
  program
    .command('chmod')
    .description('change permission bits (the owner or a superuser)')
    .argument('<mode>', 'octal (644, 0755) or symbolic (u+x, go-w, a=r)')
    .argument('<paths...>', 'cluster paths')
    .option('-R, --recursive', 'also everything below each directory')
    .action(async (modeText: string, paths: string[], options: { recursive?: boolean }, command: Command) => {
      const spec = parseModeSpec(modeText);
      await eachTarget(command, paths, options.recursive ?? false, async (client, each) => {
        await client.chmod(each, spec((await client.stat(each)).mode));
      });
    });
}

/** `USER`, `USER:GROUP` or `:GROUP`. */
function parseOwnerSpec(text: string): { user?: string; group?: string } {
  const [user, group, extra] = text.split(':');
  if (extra !== undefined || (user === '' && (group === undefined || group === ''))) {
    throw new GfsError('INVALID_ARGUMENT', 'not an owner (USER, USER:GROUP or :GROUP)', text);
  }
  return {
    ...(user === undefined || user === '' ? {} : { user }),
    ...(group === undefined || group === '' ? {} : { group }),
  };
}

export function registerChown(program: Command): void {
  program
    .command('chown')
    .description('change owner (a superuser) and/or group (also the owner, to a group of theirs)')
    .argument('<owner>', 'USER, USER:GROUP or :GROUP')
    .argument('<paths...>', 'cluster paths')
    .option('-R, --recursive', 'also everything below each directory')
    .action(async (ownerText: string, paths: string[], options: { recursive?: boolean }, command: Command) => {
      const owner = parseOwnerSpec(ownerText);
      await eachTarget(command, paths, options.recursive ?? false, (client, each) => client.chown(each, owner));
    });
}
