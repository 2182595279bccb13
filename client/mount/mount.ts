// `gfs mount`'s life: check FUSE and the mount point (clearing a stale mount), reach the master,
// mount, print `mounted: <dir>`, serve until SIGINT/SIGTERM (or until someone unmounts it with
// fusermount -u), then send what is still gathered, unmount and exit 0.

import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { GfsError } from '../../shared/errors.js';
import { createLogger, type Logger, type LogLevel } from '../../shared/log.js';
import type { GfsClient } from '../sdk/client.js';
import { GfsMountFs } from './filesystem.js';
import { type FuseBinding, loadFuseBinding } from './fuse-binding.js';
import { widenKernelReadAhead } from './kernel-read-ahead.js';
import { FUSE_OP_TIMEOUT_MS, UNMOUNT_FLUSH_WAIT_MS } from './limits.js';
import { type MetricsEndpoint, MountMetrics, serveMountMetrics } from './metrics.js';
import { mountOptions } from './mount-options.js';
import { mountsAt, prepareMountPoint } from './mount-point.js';
import { fuseOperations } from './operations.js';
import { OwnerMap } from './owner-map.js';

export interface MountCommandOptions {
  /**
   * The client to mount with, given the mount's logger (its failed RPCs and retries at debug) and,
   * with write-back, the delegation holder id it must be made with.
   */
  client: (logger: Logger, holder: string | undefined) => GfsClient;
  mountPoint: string;
  readOnly: boolean;
  /**
   * Write-back of new files in directories this mount holds the delegation of (default on):
   * close(2) of a new small file returns before it is on the cluster (docs/mount.md).
   */
  writeBack: boolean;
  /** `--metrics-port`: serve FUSE operation counts on 127.0.0.1:P (0: any free port). */
  metricsPort?: number | undefined;
  logLevel?: LogLevel | undefined;
}

/** How often the mount checks that it is still mounted (someone may run fusermount -u). */
const STILL_MOUNTED_CHECK_MS = 2_000;

/** Mounts and serves until a signal or an unmount from outside; the caller closes the client. */
export async function runMount(options: MountCommandOptions): Promise<void> {
  const mountPoint = await canonicalPath(options.mountPoint);
  const fuse = await loadFuseBinding();
  const cleared = await prepareMountPoint(mountPoint);
  if (cleared !== undefined) process.stderr.write(`gfs: ${cleared}: ${mountPoint}\n`);

  const log = createLogger({ role: 'mount', node: mountPoint }, { level: options.logLevel });
  const writeBack = options.writeBack && !options.readOnly;
  const client = options.client(
    log.child({ module: 'sdk' }),
    writeBack ? randomBytes(12).toString('base64url') : undefined,
  );
  // One question answers two: the master is reachable, and its chunk size (runs are cut at chunks).
  const { chunkSize } = await client.status();
  // Before the mount: a port already taken is an error with nothing mounted yet.
  const metrics = options.metricsPort === undefined ? undefined : new MountMetrics();
  const endpoint: MetricsEndpoint | undefined =
    metrics === undefined ? undefined : await serveMountMetrics(metrics, options.metricsPort ?? 0);
  if (endpoint !== undefined) log.info({ url: endpoint.url }, `metrics served url=${endpoint.url}`);
  try {
    await serveMount(options, { client, fuse, mountPoint, log, chunkSize, metrics });
  } finally {
    await endpoint?.close();
  }
}

interface MountContext {
  client: GfsClient;
  fuse: FuseBinding;
  mountPoint: string;
  log: Logger;
  chunkSize: number;
  metrics: MountMetrics | undefined;
}

/** Mounts, prints `mounted: <dir>`, serves until the stop, flushes and unmounts. */
async function serveMount(options: MountCommandOptions, context: MountContext): Promise<void> {
  const { client, fuse, mountPoint, log, chunkSize, metrics } = context;
  const owner = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  const fs = new GfsMountFs(client, {
    readOnly: options.readOnly,
    owner,
    owners: new OwnerMap(owner, client.identity),
    chunkSizeBytes: chunkSize,
    ...(client.holder === undefined ? {} : { writeBack: { log: log.child({ module: 'write-back' }) } }),
  });
  const source = `gfs:${client.master.replace(/^https?:\/\//, '')}`;
  const operations = fuseOperations(fs, log);
  const mounted = await fuse.mount(
    mountPoint,
    metrics === undefined ? operations : metrics.counted(operations),
    mountOptions({ readOnly: options.readOnly, source }),
    FUSE_OP_TIMEOUT_MS,
  );
  const readAheadUnset = await widenKernelReadAhead(mountPoint);
  if (readAheadUnset !== undefined) log.info({ reason: readAheadUnset }, 'kernel read-ahead left at its default');
  process.stdout.write(`mounted: ${mountPoint}\n`);
  const stop = new StopSignals(mountPoint);
  const reason = await stop.first;
  // Bytes gathered from writers before the stop still go to the cluster (a second signal, or
  // UNMOUNT_FLUSH_WAIT_MS, stops the wait), then the mount goes.
  const flushed = fs.flushAll().then((failures) => {
    for (const failure of failures) log.error({ err: failure }, 'buffered writes lost at unmount');
  });
  await Promise.race([flushed, stop.second, delay(UNMOUNT_FLUSH_WAIT_MS)]);
  await mounted.unmount().catch((error: unknown) => {
    if (reason !== 'unmounted') throw new GfsError('UNAVAILABLE', `unmount failed: ${String(error)}`, mountPoint);
  });
  stop.dispose();
}

type StopReason = 'SIGINT' | 'SIGTERM' | 'unmounted';

/**
 * The first SIGINT/SIGTERM (or the mount vanishing: fusermount -u from outside) starts the stop;
 * a second signal hurries it. The handlers stay installed until the end, so no signal ever meets
 * Node's default action (an exit without unmounting).
 */
class StopSignals {
  readonly first: Promise<StopReason>;
  readonly second: Promise<void>;
  private signals = 0;
  private readonly onSignal: (signal: NodeJS.Signals) => void;
  private readonly timer: NodeJS.Timeout;

  constructor(mountPoint: string) {
    let resolveFirst: (reason: StopReason) => void = () => undefined;
    let resolveSecond: () => void = () => undefined;
    this.first = new Promise((resolve) => {
      resolveFirst = resolve;
    });
    this.second = new Promise((resolve) => {
      resolveSecond = resolve;
    });
    this.onSignal = (signal) => {
      this.signals += 1;
      if (this.signals === 1) resolveFirst(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
      else resolveSecond();
    };
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
    let checking = false;
    this.timer = setInterval(() => {
      if (checking) return;
      checking = true;
      mountsAt(mountPoint)
        .then((mounts) => {
          if (mounts.length === 0) resolveFirst('unmounted');
        })
        .catch(() => undefined)
        .finally(() => {
          checking = false;
        });
    }, STILL_MOUNTED_CHECK_MS);
  }

  dispose(): void {
    clearInterval(this.timer);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/**
 * The mount point as /proc/self/mountinfo will name it (symlinks resolved). Only its parent is
 * resolved: a stale mount point itself cannot even be stat'ed (ENOTCONN).
 */
async function canonicalPath(path: string): Promise<string> {
  const absolute = resolve(path);
  const parent = await realpath(dirname(absolute)).catch(() => dirname(absolute));
  return join(parent, basename(absolute));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
