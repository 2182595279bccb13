// Several "hosts" on one machine: a Linux network namespace per host, each with its own loopback
// and one veth link to a bridge in a further "switch" namespace, all on one private /24. Nothing
// is added to the machine's own namespace, so deleting the namespaces removes every link and the
// bridge with them. Needs root and iproute2 (`ip`); CI runs as root. Processes started in a host
// are tracked and killed by PID in destroy(), which also checks that no namespace is left behind.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { type CliResult, runGfs } from './gfs-cli.js';

const execFileAsync = promisify(execFile);

export interface LabHost {
  name: string;
  namespace: string;
  address: string;
  /** Its link's end on the switch: set down to cut the host off, as pulling its cable would. */
  switchPort: string;
}

export interface LabProcess {
  host: LabHost;
  child: ChildProcess;
  /** The tail of its stderr, to explain a failure. */
  stderr: () => string;
}

async function ip(args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args);
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || String(error)}`);
  }
}

/** Why this machine cannot build the lab (not root, no `ip`), or undefined when it can. */
export async function labUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) {
    return 'the several-hosts test creates network namespaces and must run as root (CI does)';
  }
  try {
    await execFileAsync('ip', ['-V']);
  } catch {
    return 'the several-hosts test needs iproute2 (`ip`): apt-get install iproute2';
  }
  return undefined;
}

/** Namespace names this process's labs use: unique per test process. */
export function labPrefix(): string {
  return `gfs${process.pid}-`;
}

export async function namespacesLeft(prefix: string): Promise<string[]> {
  const listing = await ip(['netns', 'list']);
  return listing
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(prefix));
}

export class NetworkLab {
  private readonly processes: LabProcess[] = [];

  private constructor(
    readonly prefix: string,
    readonly switchNamespace: string,
    readonly hosts: ReadonlyMap<string, LabHost>,
  ) {}

  /**
   * Creates the switch and one host per name, at .1, .2, … of a 10.77.N.0/24 that no address or
   * route of this machine uses. On failure, whatever was created is deleted again.
   */
  static async create(names: readonly string[]): Promise<NetworkLab> {
    const prefix = labPrefix();
    const subnet = await freeSubnet();
    const switchNamespace = `${prefix}switch`;
    const hosts = new Map<string, LabHost>();
    names.forEach((name, i) => {
      hosts.set(name, {
        name,
        namespace: `${prefix}${name}`,
        address: `${subnet}.${i + 1}`,
        switchPort: `port${i + 1}`,
      });
    });
    const lab = new NetworkLab(prefix, switchNamespace, hosts);
    try {
      await ip(['netns', 'add', switchNamespace]);
      await ip(['-n', switchNamespace, 'link', 'add', 'br0', 'type', 'bridge']);
      await ip(['-n', switchNamespace, 'link', 'set', 'br0', 'up']);
      for (const host of hosts.values()) await lab.addHost(host);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  private async addHost(host: LabHost): Promise<void> {
    await ip(['netns', 'add', host.namespace]);
    await ip(['-n', host.namespace, 'link', 'set', 'lo', 'up']);
    // Made in the switch, its peer placed straight into the host: no link ever exists outside.
    const peer = ['peer', 'name', 'eth0', 'netns', host.namespace];
    await ip(['-n', this.switchNamespace, 'link', 'add', host.switchPort, 'type', 'veth', ...peer]);
    await ip(['-n', this.switchNamespace, 'link', 'set', host.switchPort, 'master', 'br0']);
    await ip(['-n', this.switchNamespace, 'link', 'set', host.switchPort, 'up']);
    await ip(['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
    await ip(['-n', host.namespace, 'link', 'set', 'eth0', 'up']);
  }

  host(name: string): LabHost {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name} in the lab`);
    return host;
  }

  /** Runs a `gfs` command on a host, as runGfs does on this one. */
  gfs(
    hostName: string,
    args: readonly string[],
    options: { input?: Buffer | string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<CliResult> {
    return runGfs(args, { ...options, via: ['ip', 'netns', 'exec', this.host(hostName).namespace] });
  }

  /** Starts a long-running command on a host (`ip netns exec` becomes the command: same PID). */
  start(hostName: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): LabProcess {
    const host = this.host(hostName);
    const child = spawn('ip', ['netns', 'exec', host.namespace, command, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (piece: Buffer) => {
      stderr = (stderr + piece.toString()).slice(-20_000);
    });
    const started: LabProcess = { host, child, stderr: () => stderr };
    this.processes.push(started);
    return started;
  }

  /** Takes the host's switch port down: its processes run on, unreachable. */
  async cut(hostName: string): Promise<void> {
    await ip(['-n', this.switchNamespace, 'link', 'set', this.host(hostName).switchPort, 'down']);
  }

  /** Kills every process started here (by PID), deletes every namespace, checks none is left. */
  async destroy(): Promise<void> {
    await Promise.all(this.processes.map(({ child }) => killAndWait(child)));
    const namespaces = [...[...this.hosts.values()].map((host) => host.namespace), this.switchNamespace];
    const existing = new Set(await namespacesLeft(this.prefix));
    for (const namespace of namespaces) {
      if (existing.has(namespace)) await ip(['netns', 'delete', namespace]);
    }
    const left = await namespacesLeft(this.prefix);
    if (left.length > 0) throw new Error(`network namespaces left behind: ${left.join(', ')}`);
  }
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** `10.77.N` for the first N whose /24 no address or route of this machine mentions. */
async function freeSubnet(): Promise<string> {
  const inUse = `${await ip(['-o', 'addr'])}\n${await ip(['route'])}`;
  for (let n = process.pid % 250; n < (process.pid % 250) + 250; n++) {
    const subnet = `10.77.${n % 250}`;
    if (!inUse.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.77.N.0/24 on this machine');
}
