// The `gfs` command line (DESIGN §7): one commander program, `--master` accepted before or after
// the command name, usage errors turned into exceptions for main.ts to report in one line.

import { Command } from 'commander';
import { registerCat } from './commands/cat.js';
import { registerChunkserver } from './commands/chunkserver.js';
import { registerCluster } from './commands/cluster.js';
import { registerCp } from './commands/cp.js';
import { registerLs } from './commands/ls.js';
import { registerMaster } from './commands/master.js';
import { registerMkdir } from './commands/mkdir.js';
import { registerMv } from './commands/mv.js';
import { registerRm } from './commands/rm.js';
import { registerStat } from './commands/stat.js';
import { registerStatus } from './commands/status.js';

export function buildProgram(): Command {
  const program = new Command('gfs')
    .description('a GFS-style distributed file system')
    .option('--master <url>', 'master to talk to (else $GFS_MASTER, else http://127.0.0.1:7070)')
    // Set before the commands are added: subcommands inherit both settings.
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
  for (const register of [
    registerMaster,
    registerChunkserver,
    registerCluster,
    registerCp,
    registerCat,
    registerLs,
    registerMkdir,
    registerRm,
    registerMv,
    registerStat,
    registerStatus,
  ]) {
    register(program);
  }
  return program;
}
