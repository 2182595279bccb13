// An in-process cluster (DESIGN §9): the master and chunkservers run in the test's own process on
// ephemeral loopback ports, so a test can stop and restart them with options the CLI does not
// expose (e.g. a tiny checkpoint interval) and without process start-up costs. Data directories
// persist across restarts and are removed in stop().

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningChunkserver, startChunkserver } from '../../chunkserver/main.js';
import { type MasterOptions, type RunningMaster, startMaster } from '../../master/main.js';
import { silentLogger } from '../../shared/log.js';
import { SECRET_FILE_NAME } from '../../shared/security/cluster-secret.js';
import { adminHeaders } from './admin-rpc.js';
import { TEST_CLUSTER_SECRET } from './test-identity.js';
import { waitFor } from './wait.js';

export class InProcessCluster {
  master: RunningMaster | undefined;
  readonly chunkservers: Array<RunningChunkserver | undefined> = [];
  private masterPort = 0;

  private constructor(
    readonly root: string,
    private readonly masterOptions: Partial<MasterOptions>,
  ) {}

  static async start(chunkservers: number, masterOptions: Partial<MasterOptions> = {}): Promise<InProcessCluster> {
    const cluster = new InProcessCluster(await mkdtemp(join(tmpdir(), 'gfs-inproc-')), masterOptions);
    // The tests' fixed secret (test-identity.ts), so the GFS_TOKEN of every test process is valid here.
    await writeFile(cluster.secretFile, `${TEST_CLUSTER_SECRET}\n`, { mode: 0o600 });
    try {
      await cluster.startMaster();
      for (let i = 0; i < chunkservers; i++) await cluster.startChunkserver(i);
      await cluster.waitAlive(chunkservers);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get masterUrl(): string {
    return `http://127.0.0.1:${this.masterPort}`;
  }

  get secretFile(): string {
    return join(this.root, SECRET_FILE_NAME);
  }

  get masterDataDir(): string {
    return join(this.root, 'master');
  }

  async startMaster(): Promise<void> {
    this.master = await startMaster({
      host: '127.0.0.1',
      // The same port on restart, so chunkservers find their master again.
      port: this.masterPort,
      dataDir: this.masterDataDir,
      chunkSizeBytes: 1024 * 1024,
      replication: 3,
      leaseMs: 5_000,
      deadAfterMs: 2_000,
      trashRetentionMs: 60_000,
      startupWaitMs: 5_000,
      secretFile: this.secretFile,
      logger: silentLogger(),
      ...this.masterOptions,
    });
    this.masterPort = Number(this.master.address.split(':').pop());
  }

  async stopMaster(): Promise<void> {
    await this.master?.close();
    this.master = undefined;
  }

  async startChunkserver(index: number): Promise<void> {
    this.chunkservers[index] = await startChunkserver({
      masterUrl: this.masterUrl,
      host: '127.0.0.1',
      port: 0,
      dataDir: join(this.root, `cs${index}`),
      rack: '',
      heartbeatMs: 100,
      secretFile: this.secretFile,
      logger: silentLogger(),
    });
  }

  async waitAlive(count: number): Promise<void> {
    await waitFor(`${count} live chunkservers`, async () => {
      const response = await fetch(`${this.masterUrl}/status`, { headers: adminHeaders() }).catch(() => undefined);
      if (!response?.ok) return undefined;
      const status = (await response.json()) as { chunkservers: { alive: boolean }[] };
      return status.chunkservers.filter((cs) => cs.alive).length === count ? true : undefined;
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.chunkservers.map((cs) => cs?.close()));
    await this.master?.close();
    await rm(this.root, { recursive: true, force: true });
  }
}
