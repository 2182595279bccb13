// Composition root of a chunkserver: identity, chunk store, push buffer, leases and serial queues,
// the HTTP surfaces, the reporter that keeps the master informed, and the scrubber that verifies
// replicas while the server is idle. `gfs chunkserver` calls startChunkserver; tests start several
// in one process.

import { setTimeout as sleep } from 'node:timers/promises';
import { lockDataDir } from '../shared/dir-lock.js';
import { GfsError } from '../shared/errors.js';
import { advertisedAddress } from '../shared/host-port.js';
import { RpcClient } from '../shared/http/client.js';
import { PeerVerifier, requirePeerSignatures } from '../shared/http/peer-auth.js';
import { observeRequests } from '../shared/http/request-metrics-hook.js';
import { boundPort, createRpcServer, listen } from '../shared/http/server.js';
import {
  CHUNK_TOKEN_CLOCK_SKEW_MS,
  SCRUB_BYTES_PER_SECOND,
  SCRUB_IDLE_MS,
  SCRUB_INTERVAL_MS,
  SCRUB_PIECE_BYTES,
  SCRUB_POLL_MS_MAX,
} from '../shared/limits.js';
import { createLogger, type Logger } from '../shared/log.js';
import { CHUNKSERVER_PEER_ROUTES } from '../shared/protocol/peer-routes.js';
import type { ClusterKeys } from '../shared/security/keys.js';
import { serverKeys, warnIfInsecure } from '../shared/security/server-keys.js';
import { type ServerTls, schemeOf } from '../shared/tls.js';
import { Reporter } from './heartbeat/reporter.js';
import { chunkAccessCheck } from './http/chunk-access.js';
import { registerControlRoutes } from './http/control.js';
import { installDataPath } from './http/fast-path.js';
import { loadOrCreateId } from './identity.js';
import { ChunkserverMetrics } from './metrics.js';
import { LeaseTable } from './mutation/lease-table.js';
import { Mutator } from './mutation/mutator.js';
import { SerialQueues } from './mutation/serial-queue.js';
import { PushBuffer } from './push/push-buffer.js';
import { Cloner } from './replication/cloner.js';
import { ClientActivity } from './scrub/client-activity.js';
import { Scrubber, type ScrubSettings } from './scrub/scrubber.js';
import { ChunkStore } from './store/chunk-store.js';

export interface ChunkserverOptions {
  /** `http://…`, or `https://…` when this server serves TLS (a cluster is all TLS or all plain). */
  masterUrl: string;
  host: string;
  port: number;
  dataDir: string;
  /**
   * `host` or `host:port` the master hands clients and peers (the port defaults to the bound one);
   * without it `host:boundPort`, so a wildcard host (0.0.0.0) needs it.
   */
  advertise?: string;
  rack: string;
  heartbeatMs: number;
  /**
   * `--capacity`: the most space this server offers (its stored bytes plus its disk's free space,
   * when that is less). Placement and rebalancing count its use against it; writes are not refused.
   */
  capacityBytesMax?: number;
  /** Scrubbing (`--scrub-rate`, `--scrub-idle`, `--scrub-interval`); defaults from shared/limits.ts. */
  scrub?: Partial<Pick<ScrubSettings, 'bytesPerSecond' | 'idleMs' | 'intervalMs'>>;
  /**
   * Security (issue 7, docs/security.md): with `insecure`, no request is authenticated or checked.
   * Otherwise the cluster secret comes from `secretFile`, else GFS_SECRET, else the chunkserver does not start.
   */
  insecure?: boolean;
  secretFile?: string;
  /** Serve HTTPS with this certificate, and talk https to peer chunkservers. */
  tls?: ServerTls;
  /** PEM certificates trusted on top of Node's roots when calling the master and peers (`--tls-ca`). */
  ca?: string;
  /**
   * The master refused this chunkserver's first registration as unauthenticated (it does not hold
   * the master's secret): registration stops and this is called with a one-line explanation
   * (`gfs chunkserver` exits 1 with it). Without it the refusal is logged and retried.
   */
  onRefusedByMaster?: (error: GfsError) => void;
  logger?: Logger;
}

export interface RunningChunkserver {
  id: string;
  /** Advertised host:port. */
  address: string;
  close(): Promise<void>;
}

/**
 * A cluster is all TLS or all plain: a TLS chunkserver registered with a plain master (or the
 * reverse) would be handed to clients and peers that speak the other scheme to it.
 */
function checkSameScheme(options: ChunkserverOptions): void {
  const scheme = options.tls === undefined ? 'http' : 'https';
  if (schemeOf(options.masterUrl) === scheme) return;
  const why =
    scheme === 'https'
      ? 'this chunkserver serves TLS: give the master as https://'
      : 'the master is https://: give this chunkserver --tls-cert and --tls-key';
  throw new GfsError('INVALID_ARGUMENT', `a cluster is all TLS or all plain (${why})`, options.masterUrl);
}

/** Tuning knobs tests shorten; production uses the limits in shared/limits.ts. */
export interface ChunkserverTuning {
  serialGapWaitMs?: number;
  pushBufferBytesMax?: number;
  pushBufferTtlMs?: number;
}

/**
 * Test-only knob: GFS_TEST_CHUNK_TOKEN_SKEW_MS replaces the clock-skew allowance on chunk access
 * token expiry, so an end-to-end test with short-lived tokens (the master's
 * GFS_TEST_CHUNK_TOKEN_TTL_MS) sees them refused soon after they expire. Unset in production.
 */
function chunkTokenClockSkewMs(): number {
  const text = process.env.GFS_TEST_CHUNK_TOKEN_SKEW_MS;
  const value = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(value) && value >= 0 ? value : CHUNK_TOKEN_CLOCK_SKEW_MS;
}

export async function startChunkserver(
  options: ChunkserverOptions,
  tuning: ChunkserverTuning = {},
): Promise<RunningChunkserver> {
  // Refused before anything is opened: a server others cannot reach must not start.
  advertisedAddress(options.host, options.port, options.advertise);
  checkSameScheme(options);
  const lock = await lockDataDir(options.dataDir, 'chunkserver');
  let id: string;
  let store: ChunkStore;
  let keys: ClusterKeys | null;
  try {
    id = await loadOrCreateId(options.dataDir);
    keys = await serverKeys(options, 'chunkserver', undefined);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const logger = (options.logger ?? createLogger({ role: 'chunkserver' })).child({ node: id });
  warnIfInsecure(keys, logger);
  const access = chunkAccessCheck(keys === null ? null : keys.chunkToken, chunkTokenClockSkewMs());
  const metrics = new ChunkserverMetrics();
  const monotonicMs = () => performance.now();
  const activity = new ClientActivity(monotonicMs);
  let reporter: Reporter | undefined;
  try {
    store = await ChunkStore.open({
      dataDir: options.dataDir,
      logger,
      onCorruption: (handle) => {
        metrics.checksumFailuresTotal++;
        reporter?.reportCorruption(handle);
      },
    });
  } catch (error) {
    await lock.release();
    throw error;
  }
  // Registration, heartbeats, forwarding to secondaries and clone reads are signed with the
  // cluster secret (pushes stream, and go unsigned); none under --insecure.
  const rpc = new RpcClient({
    logger: logger.child({ module: 'rpc' }),
    // Peers (the write chain, clone sources) are bare host:port: the same scheme as this server's.
    scheme: options.tls === undefined ? 'http' : 'https',
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    peerKey: keys?.peerRequest,
  });
  const peerVerifier = keys === null ? undefined : new PeerVerifier(keys.peerRequest, logger);
  const buffer = new PushBuffer({ bytesMax: tuning.pushBufferBytesMax, ttlMs: tuning.pushBufferTtlMs });
  const leases = new LeaseTable();
  const queues = new SerialQueues({ logger, gapWaitMs: tuning.serialGapWaitMs });
  const mutator = new Mutator({
    store,
    buffer,
    leases,
    queues,
    rpc,
    logger,
    onBytesWritten: (bytes) => {
      metrics.bytesWrittenTotal += bytes;
      activity.touch();
    },
  });

  const app = createRpcServer(logger, options.tls);
  observeRequests(app, metrics.requests);
  if (peerVerifier !== undefined) requirePeerSignatures(app, peerVerifier, CHUNKSERVER_PEER_ROUTES);
  installDataPath(
    app,
    {
      peerVerifier,
      buffer,
      rpc,
      store,
      mutator,
      onBytesRead: (bytes) => {
        metrics.bytesReadTotal += bytes;
        activity.touch();
      },
      onBytesPushed: (bytes) => {
        metrics.bytesPushedTotal += bytes;
      },
      onDataRequest: () => activity.touch(),
      requests: metrics.requests,
      access,
    },
    logger,
  );
  const cloner = new Cloner({
    store,
    rpc,
    logger,
    onBytesWritten: (bytes) => {
      metrics.bytesWrittenTotal += bytes;
      activity.touch();
    },
  });
  const scrubber = new Scrubber({
    store,
    activity,
    clock: monotonicMs,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
    settings: {
      bytesPerSecond: options.scrub?.bytesPerSecond ?? SCRUB_BYTES_PER_SECOND,
      idleMs: options.scrub?.idleMs ?? SCRUB_IDLE_MS,
      intervalMs: options.scrub?.intervalMs ?? SCRUB_INTERVAL_MS,
      pieceBytes: SCRUB_PIECE_BYTES,
      pollMsMax: SCRUB_POLL_MS_MAX,
    },
    logger: logger.child({ module: 'scrub' }),
  });
  registerControlRoutes(app, {
    mutator,
    cloner,
    store,
    isReady: () => reporter?.ready === true,
    metrics: metrics.server,
    access,
    buffer,
  });
  metrics.watch({
    chunks: () => store.count,
    pushBufferBytes: () => buffer.bytes,
    pushBufferBytesMax: buffer.bytesMax,
    scrub: () => scrubber.progress(),
  });

  let address: string;
  try {
    await listen(app, options.host, options.port);
    address = advertisedAddress(options.host, boundPort(app), options.advertise);
  } catch (error) {
    buffer.close();
    await Promise.all([store.close(), rpc.close()]);
    await lock.release();
    throw error;
  }
  reporter = new Reporter({
    id,
    address,
    rack: options.rack,
    masterUrl: options.masterUrl,
    dataDir: options.dataDir,
    heartbeatMs: options.heartbeatMs,
    ...(options.capacityBytesMax === undefined ? {} : { capacityBytesMax: options.capacityBytesMax }),
    store,
    leases,
    rpc,
    logger,
    deleteChunk: (handle) => mutator.deleteChunk(handle),
    insecure: keys === null,
    ...(options.onRefusedByMaster === undefined ? {} : { onRefused: options.onRefusedByMaster }),
  });
  reporter.start();
  scrubber.start();
  logger.info(
    { address, listen: `${options.host}:${options.port}`, master: options.masterUrl, chunks: store.count },
    'chunkserver listening',
  );

  let closing: Promise<void> | undefined;
  const running = reporter;
  return {
    id,
    address,
    close: () => {
      closing ??= (async () => {
        const reporterStopped = running.stop();
        const scrubberStopped = scrubber.stop();
        // Outgoing calls first: closing the client aborts, after a short grace, calls to peers that
        // never answer, which would otherwise hold both the reporter and in-flight requests.
        await rpc.close();
        await app.close();
        await reporterStopped;
        await scrubberStopped;
        queues.close();
        buffer.close();
        await store.close();
        await lock.release();
      })();
      return closing;
    },
  };
}
