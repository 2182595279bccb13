// `gfs cluster --data DIR [--chunkservers N] [--port P]`: a master on P, N chunkservers on
// P+1..P+N and the web gateway on P+N+1 (or --gateway-port) as child processes on loopback (this
// same CLI), logs in DIR/logs/; with --tls-cert/--tls-key every one of them serves HTTPS. Prints
// the master's URL, then the gateway's, once every chunkserver has registered and the gateway
// answers; on SIGINT/SIGTERM stops the children, exit 0.

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { GfsError } from '../../../shared/errors.js';
import { RpcClient } from '../../../shared/http/client.js';
import { statusRoute } from '../../../shared/protocol/heartbeat.js';
import { ensureSecretFile, parseSecret, readSecretFile, SECRET_ENV } from '../../../shared/security/cluster-secret.js';
import { deriveClusterKeys } from '../../../shared/security/keys.js';
import { isTlsFailure, readCaFile, readServerTls } from '../../../shared/tls.js';
import { delay } from '../../sdk/retry.js';
import { type ClusterAdmin, clusterAdmin, saveClusterAdmin } from '../cluster-admin.js';
import { configKey } from '../config/names.js';
import { countOption, portOption } from '../options.js';
import { type TlsFlags, tlsCaPathOf, tlsPathsOf } from '../tls-options.js';

/** Longest wait for the master and every chunkserver to come up. */
const STARTUP_TIMEOUT_MS = 60_000;
/** How long a child gets to stop after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 10_000;
const LOOPBACK = '127.0.0.1';

interface ClusterFlags extends TlsFlags {
  data: string;
  chunkservers: number;
  port: number;
  gatewayPort?: number;
}

/** Options of `gfs master` and `gfs chunkserver` that the cluster sets for each child itself. */
const SET_PER_CHILD = new Set(['port', 'data', 'host', 'advertise', 'rack']);

/** A master or chunkserver option `gfs cluster` takes too and hands to those children. */
interface PassedOption {
  option: Option;
  roles: ('master' | 'chunkserver')[];
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: boolean;
}

export function registerCluster(program: Command): void {
  const command = program
    .command('cluster')
    .description('run a master and chunkservers on loopback, as child processes')
    .requiredOption('--data <dir>', 'directory for every server’s data and logs')
    .option('--chunkservers <n>', 'number of chunkservers', countOption, 3)
    .option('--port <port>', "master's port; chunkservers take the following ones", portOption, 7070)
    .option('--gateway-port <port>', "the web gateway's port (default: the one after the chunkservers')", portOption);
  const passed = passedOptions(program);
  for (const { option } of passed) {
    // The gateway serves with the same certificate (passed to it by runCluster, not as a role's option).
    if (option.long === '--tls-cert' || option.long === '--tls-key')
      option.description = option.description.replace(/\)$/, ', gateway)');
    command.addOption(option);
  }
  command.action(async (flags: ClusterFlags) => {
    await runCluster(flags, childArgs(command, passed), childEnv(program), clusterTls(command, flags));
  });
}

/**
 * Every option of `gfs master` and `gfs chunkserver` (bar those set per child), taken as written,
 * checked by the server's own parser, and passed on only when given (by flag, variable or config
 * file), so each child keeps its own default otherwise. Read from the commands themselves, so a
 * server option added later is a cluster option too.
 */
function passedOptions(program: Command): PassedOption[] {
  const passed = new Map<string, PassedOption>();
  for (const role of ['master', 'chunkserver'] as const) {
    const server = program.commands.find((each) => each.name() === role);
    if (server === undefined) throw new Error(`register gfs ${role} before gfs cluster`);
    for (const option of server.options) {
      const key = configKey(option);
      if (SET_PER_CHILD.has(key)) continue;
      const known = passed.get(key);
      if (known !== undefined) {
        known.roles.push(role);
        continue;
      }
      const copy = new Option(option.flags, option.description);
      if (option.argChoices !== undefined) copy.choices(option.argChoices);
      const parse = option.parseArg;
      if (parse !== undefined) {
        copy.argParser((text: string, previous: unknown) => {
          parse(text, previous);
          return text;
        });
      }
      passed.set(key, { option: copy, roles: [role] });
    }
  }
  for (const { option, roles } of passed.values()) option.description += ` (${roles.join(', ')})`;
  return [...passed.values()];
}

/** The cluster's TLS settings: every child serves with the same certificate and trusts the same CA. */
interface ClusterTls {
  /** Flags for the gateway, which is no master or chunkserver option the cluster passes on. */
  serverArgs: string[];
  /** `--tls-ca FILE` for every child: the program-wide option, whose variable they do not get. */
  caArgs: string[];
  /** PEM of the CA, for the cluster's own start-up checks. */
  ca?: string;
  scheme: 'http' | 'https';
}

/**
 * Checks the certificate, key and CA here, before any child starts: a bad file is one line naming
 * it (exit 1), not a child that dies in its log. Paths are made absolute for the children.
 */
function clusterTls(command: Command, flags: ClusterFlags): ClusterTls {
  const paths = tlsPathsOf(command, flags);
  const caPath = tlsCaPathOf(command);
  const ca = caPath === undefined ? undefined : readCaFile(caPath);
  if (paths !== undefined) readServerTls(paths.cert, paths.key);
  return {
    serverArgs: paths === undefined ? [] : ['--tls-cert', resolve(paths.cert), '--tls-key', resolve(paths.key)],
    caArgs: caPath === undefined ? [] : ['--tls-ca', resolve(caPath)],
    ...(ca === undefined ? {} : { ca }),
    scheme: paths === undefined ? 'http' : 'https',
  };
}

function childArgs(command: Command, passed: readonly PassedOption[]): Record<'master' | 'chunkserver', string[]> {
  const args: Record<'master' | 'chunkserver', string[]> = { master: [], chunkserver: [] };
  for (const { option, roles } of passed) {
    const name = option.attributeName();
    // Given by flag, variable or file; a default (a `--no-x` switch's true) is the child's own.
    if (!['cli', 'env', 'config'].includes(command.getOptionValueSource(name) ?? 'default')) continue;
    const value: unknown = command.getOptionValue(name);
    const flag = option.long ?? option.flags;
    let given: string[];
    if (typeof value !== 'boolean') given = [flag, String(value)];
    else given = value !== option.negate ? [flag] : [];
    for (const role of roles) args[role].push(...given);
  }
  return args;
}

/**
 * The children get every setting as a flag: the variables and config file that set the cluster's
 * options must not reach them too, where GFS_ADVERTISE or a file's `chunkserver.rack` would
 * apply to servers the cluster places on loopback itself.
 */
function childEnv(program: Command): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const servers = program.commands.filter((each) => each.name() === 'master' || each.name() === 'chunkserver');
  for (const command of [program, ...servers]) {
    for (const option of command.options) if (option.envVar !== undefined) delete env[option.envVar];
  }
  return env;
}

async function runCluster(
  flags: ClusterFlags,
  args: Record<'master' | 'chunkserver', string[]>,
  env: NodeJS.ProcessEnv,
  tls: ClusterTls,
): Promise<void> {
  const dataDir = resolve(flags.data);
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const script = fileURLToPath(new URL('../main.js', import.meta.url));
  const masterAddress = `${LOOPBACK}:${flags.port}`;
  const masterUrl = `${tls.scheme}://${masterAddress}`;
  let admin: ClusterAdmin | undefined;
  try {
    const secret = await shareClusterSecret(dataDir, args, env);
    admin = secret === undefined ? undefined : clusterAdmin(deriveClusterKeys(secret), masterUrl);
  } catch (error) {
    const message = error instanceof GfsError ? `${error.message}: ${error.subject}` : String(error);
    process.stderr.write(`gfs: ${message}\n`);
    process.exit(1);
  }
  const children: Child[] = [];
  const start = (name: string, argv: string[], hasData = true, processEnv = env) => {
    if (hasData) mkdirSync(join(dataDir, name), { recursive: true });
    const log = openSync(join(logDir, `${name}.log`), 'a');
    const child: Child = {
      name,
      process: spawn(process.execPath, [script, ...argv], { stdio: ['ignore', log, log], env: processEnv }),
      exited: false,
    };
    closeSync(log);
    child.process.on('exit', () => {
      child.exited = true;
    });
    children.push(child);
  };

  let stopping = false;
  const stopAndExit = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopChildren(children);
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAndExit(0));
  process.once('SIGTERM', () => void stopAndExit(0));

  start('master', [
    'master',
    '--host',
    LOOPBACK,
    '--port',
    String(flags.port),
    '--data',
    join(dataDir, 'master'),
    ...tls.caArgs,
    ...args.master,
  ]);
  for (let i = 1; i <= flags.chunkservers; i++) {
    const where = ['--master', masterUrl, '--host', LOOPBACK, '--port', String(flags.port + i)];
    start(`cs${i}`, ['chunkserver', ...where, '--data', join(dataDir, `cs${i}`), ...tls.caArgs, ...args.chunkserver]);
  }

  const gatewayPort = flags.gatewayPort ?? flags.port + flags.chunkservers + 1;
  const gatewayAddress = `${LOOPBACK}:${gatewayPort}`;
  // The gateway talks to the master as the cluster's admin (docs/security-users.md, the gateway).
  const gatewayEnv = admin === undefined ? env : { ...env, GFS_TOKEN: admin.token };
  const gatewayWhere = ['--master', masterUrl, '--host', LOOPBACK, '--port', String(gatewayPort)];
  start('gateway', ['gateway', ...gatewayWhere, ...tls.caArgs, ...tls.serverArgs], false, gatewayEnv);
  const gatewayUrl = `${tls.scheme}://${gatewayAddress}`;

  const rpc = new RpcClient({
    connectionsPerOrigin: 1,
    timeoutMs: 5_000,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
  });
  try {
    await waitUntilUp(rpc, masterUrl, flags.chunkservers, children, logDir, admin?.token);
    await waitForGateway(rpc, gatewayUrl, children, logDir);
  } catch (error) {
    const message = error instanceof GfsError ? `${error.message}: ${error.subject}` : String(error);
    process.stderr.write(`gfs: cluster failed to start: ${message}\n`);
    await stopAndExit(1);
    return;
  } finally {
    await rpc.close();
  }
  try {
    const savedIn = admin === undefined ? undefined : await saveClusterAdmin(admin, masterUrl);
    if (admin !== undefined && savedIn !== undefined) {
      process.stderr.write(`gfs: saved an admin token (user ${admin.user}) for ${masterUrl} in ${savedIn}\n`);
    }
  } catch (error) {
    const message = error instanceof GfsError ? `${error.message}: ${error.subject}` : String(error);
    process.stderr.write(`gfs: cannot save the admin token: ${message}\n`);
    await stopAndExit(1);
    return;
  }
  process.stdout.write(`master: ${masterUrl}\ngateway: ${gatewayUrl}\n`);
  // Runs until a signal stops it (stopAndExit exits the process); the children keep it alive.
  await new Promise<void>((resolveNever) => {
    for (const child of children) {
      child.process.on('exit', (code, signal) => {
        if (stopping) return;
        process.stderr.write(`gfs: ${child.name} exited (${signal ?? `code ${code}`}): ${logDir}\n`);
        if (children.every((each) => each.exited)) void stopAndExit(1).then(resolveNever);
      });
    }
  });
}

/**
 * Safe by default with nothing to set up (issue 7): unless given a secret (--secret-file,
 * GFS_SECRET) or told --insecure, the cluster keeps one in DATA/master/cluster.secret, made on first
 * start, and hands the file to the master and every chunkserver. Answers the secret the servers
 * run with (undefined under --insecure).
 */
async function shareClusterSecret(
  dataDir: string,
  args: Record<'master' | 'chunkserver', string[]>,
  env: NodeJS.ProcessEnv,
): Promise<Buffer | undefined> {
  const given = (flag: string) => args.master.includes(flag) || args.chunkserver.includes(flag);
  if (given('--insecure')) return undefined;
  const secretFile = args.master[args.master.indexOf('--secret-file') + 1];
  if (args.master.includes('--secret-file') && secretFile !== undefined) return readSecretFile(secretFile);
  const fromEnv = env[SECRET_ENV] ?? '';
  if (fromEnv !== '') return parseSecret(fromEnv, SECRET_ENV);
  // Where a master started on its own keeps it: `gfs token create --data DATA/master` finds it.
  const masterDir = join(dataDir, 'master');
  mkdirSync(masterDir, { recursive: true });
  const { path, secret } = await ensureSecretFile(masterDir);
  args.master.push('--secret-file', path);
  args.chunkserver.push('--secret-file', path);
  return secret;
}

/**
 * Polls the master's status until it is ready with `count` live chunkservers. A TLS failure (a CA
 * that does not sign the certificate) will not pass by waiting: it ends the start-up at once.
 */
async function waitUntilUp(
  rpc: RpcClient,
  masterUrl: string,
  count: number,
  children: Child[],
  logDir: string,
  token: string | undefined,
) {
  const headers = token === undefined ? undefined : { authorization: `Bearer ${token}` };
  const giveUpAt = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    throwIfExited(children, logDir);
    try {
      const status = await rpc.call(masterUrl, statusRoute, {}, statusRoute.url, headers);
      const alive = status.chunkservers.filter((server) => server.alive).length;
      if (status.ready && alive >= count) return;
    } catch (error) {
      if (isTlsFailure(error)) throw error;
      // Not up yet: keep polling until the deadline.
    }
    if (Date.now() > giveUpAt) {
      throw new GfsError('UNAVAILABLE', `not up after ${STARTUP_TIMEOUT_MS / 1000} s`, masterUrl);
    }
    await delay(100);
  }
}

/** Polls the gateway's /healthz until it answers 200 (it listens within a second of starting). */
async function waitForGateway(rpc: RpcClient, url: string, children: Child[], logDir: string): Promise<void> {
  const giveUpAt = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    throwIfExited(children, logDir);
    const ok = await rpc.request(url, { method: 'GET', path: '/healthz' }).then(
      async (response) => {
        await response.body.dump();
        return response.statusCode === 200;
      },
      (error: unknown) => {
        if (isTlsFailure(error)) throw error;
        return false;
      },
    );
    if (ok) return;
    if (Date.now() > giveUpAt) {
      throw new GfsError('UNAVAILABLE', `gateway not up after ${STARTUP_TIMEOUT_MS / 1000} s`, url);
    }
    await delay(100);
  }
}

function throwIfExited(children: Child[], logDir: string): void {
  const dead = children.find((child) => child.exited);
  if (dead !== undefined) {
    throw new GfsError('UNAVAILABLE', `${dead.name} exited during start-up`, join(logDir, `${dead.name}.log`));
  }
}

/** SIGTERM to every child (by its PID), SIGKILL to any still running after the timeout. */
async function stopChildren(children: Child[]): Promise<void> {
  const running = children.filter((child) => !child.exited && child.process.exitCode === null);
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolveStop) => {
          const timer = setTimeout(() => child.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
          child.process.once('exit', () => {
            clearTimeout(timer);
            resolveStop();
          });
          if (child.exited) resolveStop();
          child.process.kill('SIGTERM');
        }),
    ),
  );
}
