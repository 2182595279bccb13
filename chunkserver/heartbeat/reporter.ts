// Talks to the master (GFS §4): registers with a full chunk report, retrying with backoff while
// the master is down; then heartbeats every heartbeatMs with capacity, lease extension requests
// and, every few beats, a full report. Replies extend leases and delete unwanted replicas. A
// heartbeat answered UNKNOWN_CHUNKSERVER means the master restarted: register again.

import { statfs } from 'node:fs/promises';
import { GfsError } from '../../shared/errors.js';
import type { RpcClient } from '../../shared/http/client.js';
import type { ReplyOf } from '../../shared/http/route.js';
import type { Logger } from '../../shared/log.js';
import { OncePerKey } from '../../shared/once-per-key.js';
import { corruptRoute, heartbeatRoute, registerRoute } from '../../shared/protocol/heartbeat.js';
import type { LeaseTable } from '../mutation/lease-table.js';
import type { ChunkStore } from '../store/chunk-store.js';

/** Every this many heartbeats carries a full chunk report. */
export const FULL_REPORT_EVERY_HEARTBEATS = 10;
const REGISTER_BACKOFF_MS_MIN = 100;
const REGISTER_BACKOFF_MS_MAX = 5_000;

export interface ReporterDeps {
  id: string;
  address: string;
  rack: string;
  masterUrl: string;
  dataDir: string;
  heartbeatMs: number;
  /** `--capacity`: the capacity reported is at most this. */
  capacityBytesMax?: number;
  store: ChunkStore;
  leases: LeaseTable;
  rpc: RpcClient;
  logger: Logger;
  deleteChunk: (handle: string) => Promise<void>;
  /** This chunkserver runs with --insecure (it signs nothing): said in a refusal's advice. */
  insecure: boolean;
  /**
   * Called, and registration given up, when the master refuses the first registration as
   * UNAUTHENTICATED (another secret, none, a clock far off): `gfs chunkserver` exits with it. Without
   * it the refusal is logged (once per reason) and registration retried, as after any failure.
   */
  onRefused?: (error: GfsError) => void;
}

export class Reporter {
  /** True once the master has accepted a registration (healthz turns 200). */
  ready = false;
  private registered = false;
  private beats = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private registerBackoffMs = REGISTER_BACKOFF_MS_MIN;
  private readonly refusalsLogged = new OncePerKey();

  constructor(private readonly deps: ReporterDeps) {}

  start(): void {
    this.schedule(0);
  }

  /**
   * Stops heartbeating and resolves when the exchange in flight, if any, is over. Its reply is
   * ignored (deleteAll checks `stopped`); closing the RpcClient is what cuts short an exchange with
   * a master that never answers.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Tells the master a replica failed its checksum (fire and forget; the next read tells again). */
  reportCorruption(handle: string): void {
    const { rpc, masterUrl, id, logger } = this.deps;
    logger.warn({ handle }, 'checksum mismatch; reporting corrupt replica to the master');
    rpc.call(masterUrl, corruptRoute, { id, handle }).catch((error: unknown) => {
      logger.warn({ handle, err: error }, 'could not report corrupt replica');
    });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (!this.registered) {
      try {
        await this.register();
        this.registerBackoffMs = REGISTER_BACKOFF_MS_MIN;
        this.schedule(this.deps.heartbeatMs);
      } catch (error) {
        if (isRefusal(error)) {
          const refusal = refusalOf(error, this.deps);
          if (!this.ready && this.deps.onRefused !== undefined) {
            this.deps.onRefused(refusal);
            return;
          }
          this.logRefusal(refusal);
        } else {
          this.deps.logger.warn(
            { err: error, retryMs: this.registerBackoffMs },
            'registration with the master failed; retrying',
          );
        }
        this.schedule(this.registerBackoffMs);
        this.registerBackoffMs = Math.min(this.registerBackoffMs * 2, REGISTER_BACKOFF_MS_MAX);
      }
      return;
    }
    try {
      await this.heartbeat();
    } catch (error) {
      if (error instanceof GfsError && error.code === 'UNKNOWN_CHUNKSERVER') {
        this.deps.logger.warn('master does not know this chunkserver (restarted?); registering again');
        this.registered = false;
        this.schedule(0);
        return;
      }
      if (isRefusal(error)) this.logRefusal(refusalOf(error, this.deps));
      else this.deps.logger.warn({ err: error }, 'heartbeat failed');
    }
    this.schedule(this.deps.heartbeatMs);
  }

  /** Every request fails the same way until an operator acts: said once per reason, as an error. */
  private logRefusal(refusal: GfsError): void {
    if (this.refusalsLogged.first(refusal.message)) {
      this.deps.logger.error({ master: refusal.subject }, `${refusal.message}; retrying (logged once per reason)`);
    }
  }

  private async register(): Promise<void> {
    const { rpc, masterUrl, store, id, address, rack, logger } = this.deps;
    const reply = await rpc.call(masterUrl, registerRoute, {
      id,
      address,
      rack,
      ...(await this.capacity()),
      chunks: store.reports(),
    });
    store.chunkSizeBytes = reply.chunkSize;
    this.registered = true;
    this.ready = true;
    this.beats = 0;
    logger.info({ master: masterUrl, chunks: store.count, chunkSize: reply.chunkSize }, 'registered with the master');
    await this.deleteAll(reply.deleteHandles);
  }

  private async heartbeat(): Promise<void> {
    const { rpc, masterUrl, store, leases, id } = this.deps;
    this.beats++;
    const fullReport = this.beats % FULL_REPORT_EVERY_HEARTBEATS === 0;
    const extendLeases = leases.takeExtensionRequests();
    const sentAtMs = Date.now();
    let reply: ReplyOf<typeof heartbeatRoute>;
    try {
      reply = await rpc.call(masterUrl, heartbeatRoute, {
        id,
        ...(await this.capacity()),
        extendLeases,
        ...(fullReport ? { chunks: store.reports() } : {}),
      });
    } catch (error) {
      leases.restoreExtensionRequests(extendLeases);
      throw error;
    }
    for (const lease of reply.leases) leases.extend(lease.handle, lease.version, lease.leaseMs, sentAtMs);
    await this.deleteAll(reply.deleteHandles);
  }

  private async deleteAll(handles: readonly string[]): Promise<void> {
    for (const handle of handles) {
      if (this.stopped) return;
      try {
        await this.deps.deleteChunk(handle);
      } catch (error) {
        this.deps.logger.warn({ handle, err: error }, 'could not delete replica');
      }
    }
  }

  private async capacity(): Promise<{ capacityBytes: number; usedBytes: number }> {
    // Used = chunk bytes this server stores; capacity = that plus the space still free to it. Several
    // chunkservers sharing one disk then each report their own data, not the disk's total use.
    // `--capacity` caps it (a share of a disk others use too).
    const stats = await statfs(this.deps.dataDir);
    const usedBytes = this.deps.store.storedBytes();
    const capacityBytes = usedBytes + stats.bavail * stats.bsize;
    return { capacityBytes: Math.min(capacityBytes, this.deps.capacityBytesMax ?? capacityBytes), usedBytes };
  }
}

function isRefusal(error: unknown): error is GfsError {
  return error instanceof GfsError && error.code === 'UNAUTHENTICATED';
}

const REFUSAL_PREFIX = 'peer request refused: ';

/**
 * The master's refusal as one line for the operator of this chunkserver: why, and what to do.
 * (`gfs: master refused this chunkserver: <why>; <advice>: <master>`.)
 */
export function refusalOf(error: GfsError, deps: Pick<ReporterDeps, 'masterUrl' | 'insecure'>): GfsError {
  const why = error.message.startsWith(REFUSAL_PREFIX) ? error.message.slice(REFUSAL_PREFIX.length) : error.message;
  let advice: string;
  if (why.startsWith('timestamp')) advice = "set both servers' clocks right (run NTP)";
  else if (deps.insecure)
    advice = "this chunkserver runs with --insecure: give it the master's DATA/cluster.secret with --secret-file";
  else advice = "give it the master's DATA/cluster.secret";
  return new GfsError(
    'UNAUTHENTICATED',
    `master refused this chunkserver: ${why}; ${advice}`,
    hostPortOf(deps.masterUrl),
  );
}

/** `http://host:port/` → `host:port`, as addresses are written in messages. */
function hostPortOf(url: string): string {
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
}
