// The `gfs` command line (DESIGN §7): one commander program, `--master` (and `--tls-ca`, whom to
// trust) accepted before or after the command name, usage errors turned into exceptions for main.ts to report in one line.

import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { registerAppend } from './commands/append.js';
import { registerCat } from './commands/cat.js';
import { registerChmod, registerChown } from './commands/chmod.js';
import { registerChunkserver } from './commands/chunkserver.js';
import { registerCluster } from './commands/cluster.js';
import { registerCp } from './commands/cp.js';
import { registerFsck } from './commands/fsck.js';
import { registerGateway } from './commands/gateway.js';
import { registerLs } from './commands/ls.js';
import { registerMaster } from './commands/master.js';
import { registerMkdir } from './commands/mkdir.js';
import { registerMount } from './commands/mount.js';
import { registerMv } from './commands/mv.js';
import { registerRecords } from './commands/records.js';
import { registerRestore } from './commands/restore.js';
import { registerRm } from './commands/rm.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerStat } from './commands/stat.js';
import { registerStatus } from './commands/status.js';
import { registerLogin, registerToken, registerWhoami } from './commands/token.js';
import { registerTrash } from './commands/trash.js';
import { makeConfigurable } from './config/configurable.js';
import { describeDefault, masterOption } from './options.js';
import { DEFAULT_MASTER } from './targets.js';
import { tlsCaOption } from './tls-options.js';

/** The version in package.json (two levels above dist/client/cli/, three above client/cli/). */
function packageVersion(): string {
  for (const relative of ['../../../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (parsed.name === 'gfs' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // Not at this level: try the next.
    }
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('gfs')
    .description('a GFS-style distributed file system')
    .version(packageVersion(), '-V, --version', 'print the gfs version')
    .addOption(new Option('--master <url>', 'master to talk to').default(DEFAULT_MASTER).argParser(masterOption))
    .addOption(tlsCaOption())
    // Set before the commands are added: subcommands inherit all three settings.
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .configureHelp({ showGlobalOptions: true });
  // Long-running commands: their options are settings, also read from GFS_* variables and the
  // config file. The others' options say what one invocation does and stay flags only.
  const settingsCommands = new Set([
    registerMaster,
    registerChunkserver,
    registerCluster,
    registerMount,
    registerGateway,
  ]);
  const configurable: Command[] = [];
  for (const register of [
    registerMaster,
    registerChunkserver,
    registerCluster,
    registerCp,
    registerCat,
    registerLs,
    registerMkdir,
    registerRm,
    registerTrash,
    registerRestore,
    registerMv,
    registerSnapshot,
    registerStat,
    registerChmod,
    registerChown,
    registerStatus,
    registerFsck,
    registerAppend,
    registerRecords,
    registerMount,
    registerGateway,
    registerToken,
    registerLogin,
    registerWhoami,
  ]) {
    register(program);
    const command = program.commands.at(-1);
    if (settingsCommands.has(register) && command !== undefined) configurable.push(command);
  }
  for (const command of [program, ...program.commands]) command.options.forEach(describeDefault);
  makeConfigurable(program, configurable);
  return program;
}
