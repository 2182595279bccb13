// A real multi-process cluster for integration tests: a master and N chunkservers spawned as
// `gfs` processes on loopback, which a test can SIGKILL and restart. Every process it starts is
// stopped by PID in `stop()`, and its data directory removed, even when the test failed.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminHeaders } from './admin-rpc.js';
import { freePort } from './free-port.js';
import { type CliResult, GFS_BIN, runGfs } from './gfs-cli.js';
import { TcpProxy } from './tcp-proxy.js';
import { TEST_CLUSTER_SECRET } from './test-identity.js';
import { waitFor } from './wait.js';

export interface ClusterOptions {
  chunkservers?: number;
  chunkSize?: string;
  replication?: number;
  lease?: string;
  deadAfter?: string;
  heartbeat?: string;
  startupWait?: string;
  /** The master's `--trash-retention` (its own default when absent). */
  trashRetention?: string;
  /** More flags for the master (e.g. `--checkpoint-every 100`, `--rebalance-rate 64MiB`). */
  masterArgs?: readonly string[];
  /** More environment for the master process (e.g. a test-only knob). */
  masterEnv?: Readonly<Record<string, string>>;
  /** More flags for every chunkserver (e.g. `--scrub-idle 300ms`). */
  chunkserverArgs?: readonly string[];
  /** More environment for every chunkserver process (e.g. a test-only knob). */
  chunkserverEnv?: Readonly<Record<string, string>>;
  /** Each chunkserver reaches the master through its own TcpProxy, so a test can cut it off. */
  proxiedMaster?: boolean;
  /** Where the cluster's temporary root is made (default: the system's temporary directory). */
  parentDir?: string;
}

interface Node {
  name: string;
  port: number;
  dataDir: string;
  args: string[];
  env?: Readonly<Record<string, string>>;
  process: ChildProcess | undefined;
  stderr: string;
  /** The chunkserver's path to the master, when proxied. */
  masterProxy?: TcpProxy;
}

export class TestCluster {
  readonly root: string;
  readonly master: Node;
  readonly chunkservers: Node[];

  private constructor(
    root: string,
    master: Node,
    chunkservers: Node[],
    private readonly newChunkserver: (index: number) => Promise<Node>,
  ) {
    this.root = root;
    this.master = master;
    this.chunkservers = chunkservers;
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const root = await mkdtemp(join(options.parentDir ?? tmpdir(), 'gfs-test-'));
    // As `gfs cluster` does: one secret file for every server (issue 7).
    // The tests' fixed secret, so the GFS_TOKEN every test process has is valid here.
    const secretFile = join(root, 'cluster.secret');
    await writeFile(secretFile, `${TEST_CLUSTER_SECRET}\n`, { mode: 0o600 });
    const masterPort = await freePort();
    const masterArgs = [
      'master',
      '--port',
      String(masterPort),
      '--data',
      join(root, 'master'),
      '--chunk-size',
      options.chunkSize ?? '1MiB',
      '--replication',
      String(options.replication ?? 3),
      '--lease',
      options.lease ?? '5s',
      '--dead-after',
      options.deadAfter ?? '2s',
      '--startup-wait',
      options.startupWait ?? '5s',
      ...(options.trashRetention === undefined ? [] : ['--trash-retention', options.trashRetention]),
      '--secret-file',
      secretFile,
      ...(options.masterArgs ?? []),
    ];
    const master: Node = {
      name: 'master',
      port: masterPort,
      dataDir: join(root, 'master'),
      args: masterArgs,
      ...(options.masterEnv === undefined ? {} : { env: options.masterEnv }),
      process: undefined,
      stderr: '',
    };
    const newChunkserver = async (i: number): Promise<Node> => {
      const port = await freePort();
      const dataDir = join(root, `cs${i}`);
      const masterProxy = options.proxiedMaster ? await TcpProxy.start(masterPort) : undefined;
      return {
        masterProxy,
        ...(options.chunkserverEnv === undefined ? {} : { env: options.chunkserverEnv }),
        name: `cs${i}`,
        port,
        dataDir,
        args: [
          'chunkserver',
          '--master',
          `http://127.0.0.1:${masterProxy?.port ?? masterPort}`,
          '--port',
          String(port),
          '--data',
          dataDir,
          '--heartbeat',
          options.heartbeat ?? '200ms',
          '--secret-file',
          secretFile,
          ...(options.chunkserverArgs ?? []),
        ],
        process: undefined,
        stderr: '',
      };
    };
    const chunkservers: Node[] = [];
    for (let i = 1; i <= (options.chunkservers ?? 3); i++) chunkservers.push(await newChunkserver(i));
    const cluster = new TestCluster(root, master, chunkservers, newChunkserver);
    try {
      cluster.spawn(master);
      for (const node of chunkservers) cluster.spawn(node);
      await cluster.waitReady();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get masterUrl(): string {
    return `http://127.0.0.1:${this.master.port}`;
  }

  /** Runs a client command against this cluster's master. */
  gfs(args: readonly string[], options: { input?: Buffer | string; cwd?: string } = {}): Promise<CliResult> {
    return runGfs(['--master', this.masterUrl, ...args], options);
  }

  async waitReady(): Promise<void> {
    await this.waitHealthy(this.master);
    try {
      await this.waitAlive(this.chunkservers.filter((node) => node.process !== undefined).length);
    } catch (error) {
      // Say why: the tail of each chunkserver's log is what explains a cluster that never formed.
      const logs = this.chunkservers.map((node) => `--- ${node.name}:\n${node.stderr.slice(-1500)}`).join('\n');
      throw new Error(`${String(error)}\n${logs}`);
    }
  }

  /** Waits until the master reports exactly `count` live chunkservers. */
  async waitAlive(count: number, deadlineMs = 30_000): Promise<void> {
    await waitFor(
      `${count} live chunkservers`,
      async () => {
        const status = await this.status();
        return status.chunkservers.filter((cs) => cs.alive).length === count ? true : undefined;
      },
      deadlineMs,
    );
  }

  async status(): Promise<{
    chunkservers: { id: string; address: string; alive: boolean; chunks: number }[];
    underReplicated: number;
  }> {
    const response = await fetch(`${this.masterUrl}/status`, { headers: adminHeaders() });
    if (!response.ok) throw new Error(`status ${response.status}`);
    return (await response.json()) as {
      chunkservers: { id: string; address: string; alive: boolean; chunks: number }[];
      underReplicated: number;
    };
  }

  /** Starts one more chunkserver (empty, with the cluster's options) and waits until it is healthy. */
  async addChunkserver(): Promise<Node> {
    const node = await this.newChunkserver(this.chunkservers.length + 1);
    this.chunkservers.push(node);
    this.spawn(node);
    await this.waitHealthy(node);
    return node;
  }

  /** Sets (or replaces) a flag of the master's command line, for its next (re)start. */
  setMasterFlag(flag: string, value: string): void {
    const at = this.master.args.indexOf(flag);
    if (at === -1) this.master.args.push(flag, value);
    else this.master.args[at + 1] = value;
  }

  async kill(node: Node): Promise<void> {
    const child = node.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    node.process = undefined;
  }

  async restart(node: Node): Promise<void> {
    await this.kill(node);
    this.spawn(node);
    await this.waitHealthy(node);
  }

  async waitHealthy(node: Node, deadlineMs = 30_000): Promise<void> {
    await waitFor(
      `${node.name} /healthz`,
      async () => {
        if (node.process === undefined || node.process.exitCode !== null) {
          throw new Error(`${node.name} exited: ${node.stderr.slice(-2000)}`);
        }
        const response = await fetch(`http://127.0.0.1:${node.port}/healthz`).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      deadlineMs,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([this.master, ...this.chunkservers].map((node) => this.kill(node)));
    await Promise.all(this.chunkservers.map((node) => node.masterProxy?.close()));
    await rm(this.root, { recursive: true, force: true });
  }

  private spawn(node: Node): void {
    const child = spawn(process.execPath, [GFS_BIN, ...node.args], {
      env: { ...process.env, GFS_LOG_LEVEL: process.env.GFS_TEST_LOG_LEVEL ?? 'warn', ...node.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    node.stderr = '';
    child.stderr?.on('data', (piece: Buffer) => {
      // Keep the tail only: enough to explain a failure, bounded in memory.
      node.stderr = (node.stderr + piece.toString()).slice(-20_000);
    });
    node.process = child;
  }
}
