// The master's composition root: opens the data dir and the durable state, wires the registry,
// the start-up gate and the lease manager (MasterNode), and serves the protocol routes over HTTP.

import { lockDataDir } from '../shared/dir-lock.js';
import { errorFromBody } from '../shared/errors.js';
import { advertisedAddress } from '../shared/host-port.js';
import { RpcClient } from '../shared/http/client.js';
import { PeerVerifier, requirePeerSignatures } from '../shared/http/peer-auth.js';
import { observeRequests } from '../shared/http/request-metrics-hook.js';
import { boundPort, createRpcServer, listen } from '../shared/http/server.js';
import {
  CHUNK_POOL_CHUNKS_DEFAULT,
  CHUNK_POOL_SWEEP_MS,
  CHUNK_TOKEN_LIFETIME_MS,
  CLONE_TIMEOUT_MS,
  REPAIR_TICK_MS,
  TRASH_SWEEP_MS,
} from '../shared/limits.js';
import { createLogger, type Logger } from '../shared/log.js';
import {
  chunkTruncateRoute,
  cloneRoute,
  copyLocalRoute,
  grantBatchRoute,
  grantRoute,
  revokeRoute,
} from '../shared/protocol/data.js';
import { MASTER_PEER_ROUTES } from '../shared/protocol/peer-routes.js';
import type { ClusterKeys } from '../shared/security/keys.js';
import { serverKeys, warnIfInsecure } from '../shared/security/server-keys.js';
import type { ServerTls } from '../shared/tls.js';
import { OrderRefusals } from './chunkservers/order-refusals.js';
import { serveAuthRoutes } from './http/auth-routes.js';
import { authenticateClients } from './http/authenticate.js';
import { serveChunkRoutes } from './http/chunk-routes.js';
import { ChunkTokenIssuer, CLONE_TOKEN_CLIENT } from './http/chunk-tokens.js';
import { serveChunkserverRoutes } from './http/chunkserver-routes.js';
import { serveDelegationRoutes } from './http/delegation-routes.js';
import { serveHealthRoutes } from './http/health-routes.js';
import { serveNamespaceRoutes } from './http/namespace-routes.js';
import { serveOpsRoutes } from './http/ops-routes.js';
import { MasterNode, type MasterSettings } from './master-node.js';
import { MasterMetrics } from './metrics.js';
import { openDataDir } from './oplog/data-dir.js';

export interface MasterOptions extends MasterSettings {
  host: string;
  port: number;
  /**
   * `host` or `host:port` clients and chunkservers use to reach it (the port defaults to the bound
   * one): what `status` reports as the master. Without it `host:boundPort`, so a wildcard host
   * (0.0.0.0) needs it.
   */
  advertise?: string;
  /** Fixed when the data directory is created; undefined means the directory's (or the default). */
  chunkSizeBytes?: number;
  /**
   * Security (issue 7, docs/security.md): with `insecure`, no request is authenticated or checked.
   * Otherwise the cluster secret comes from `secretFile`, else GFS_SECRET, else DATA/cluster.secret (created
   * on first start).
   */
  insecure?: boolean;
  secretFile?: string;
  /**
   * Serve HTTPS with this certificate, and talk https to the chunkservers (a cluster is all TLS
   * or all plain).
   */
  tls?: ServerTls;
  /** PEM certificates trusted on top of Node's roots when calling chunkservers (`--tls-ca`). */
  ca?: string;
  logger?: Logger;
}

export interface RunningMaster {
  /** The advertised host:port (the bound port when port 0 picked a free one). */
  address: string;
  /** http://address, or https:// with TLS */
  url: string;
  close(): Promise<void>;
}

/**
 * A grant is a small local operation on the chunkserver; one that takes longer than this is
 * treated as not acked (that replica becomes stale) rather than stalling the lease for a full RPC timeout.
 */
export const GRANT_TIMEOUT_MS = 5_000;

/**
 * A truncate's cut waits in the chunk's serial order behind the writes before it, on every
 * replica; past this it is reported UNAVAILABLE and the client retries the truncate.
 */
export const CUT_TIMEOUT_MS = 10_000;

/**
 * Test-only knob: GFS_TEST_CHECKPOINT_BATCH_DELAY_MS makes the checkpoint writer pause this long
 * after each batch it writes, so an end-to-end test can SIGKILL a real master while a checkpoint
 * is half written (test/e2e/checkpoint.test.ts). Unset in production.
 */
function testCheckpointBatchDelayMs(): number | undefined {
  const value = Number(process.env.GFS_TEST_CHECKPOINT_BATCH_DELAY_MS);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Test-only knob: GFS_TEST_CHUNK_TOKEN_TTL_MS shortens the lifetime of the chunk access tokens the
 * master mints, so an end-to-end test sees its clients' tokens expire and be renewed
 * (test/e2e/chunk-tokens.test.ts). Unset in production: CHUNK_TOKEN_LIFETIME_MS.
 */
function chunkTokenLifetimeMs(): number {
  const value = Number(process.env.GFS_TEST_CHUNK_TOKEN_TTL_MS);
  return Number.isFinite(value) && value > 0 ? value : CHUNK_TOKEN_LIFETIME_MS;
}

export async function startMaster(options: MasterOptions): Promise<RunningMaster> {
  // Refused before anything is opened: a master nobody can be told the address of must not start.
  let address = advertisedAddress(options.host, options.port, options.advertise);
  const logger = options.logger ?? createLogger({ role: 'master' });
  const lock = await lockDataDir(options.dataDir, 'master');
  let chunkSizeBytes: number;
  try {
    chunkSizeBytes = await openDataDir(options.dataDir, options.chunkSizeBytes);
  } catch (error) {
    await lock.release();
    throw error;
  }
  let keys: ClusterKeys | null;
  try {
    keys = await serverKeys(options, 'master', options.dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  warnIfInsecure(keys, logger);
  const tokens = keys === null ? null : new ChunkTokenIssuer(keys.chunkToken, chunkTokenLifetimeMs());
  const scheme = options.tls === undefined ? 'http' : 'https';
  // Orders to chunkservers are signed with the cluster secret (none under --insecure).
  const peers = {
    logger: logger.child({ module: 'rpc' }),
    scheme,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    peerKey: keys?.peerRequest,
  } as const;
  const rpc = new RpcClient({ timeoutMs: GRANT_TIMEOUT_MS, ...peers });
  const cutRpc = new RpcClient({ timeoutMs: CUT_TIMEOUT_MS, ...peers });
  const cloneRpc = new RpcClient({ timeoutMs: CLONE_TIMEOUT_MS, ...peers });
  const refusals = new OrderRefusals(logger, keys === null);
  const closeRpc = () => Promise.all([rpc.close(), cutRpc.close(), cloneRpc.close()]);
  const metrics = new MasterMetrics();
  let node: MasterNode;
  try {
    node = await MasterNode.open({
      dataDir: options.dataDir,
      chunkSizeBytes,
      replication: options.replication,
      leaseMs: options.leaseMs,
      deadAfterMs: options.deadAfterMs,
      trashRetentionMs: options.trashRetentionMs,
      startupWaitMs: options.startupWaitMs,
      checkpointEveryRecords: options.checkpointEveryRecords,
      checkpointBatchDelayMs: options.checkpointBatchDelayMs ?? testCheckpointBatchDelayMs(),
      chunkPoolChunks: options.chunkPoolChunks ?? CHUNK_POOL_CHUNKS_DEFAULT,
      ...(options.repair === undefined ? {} : { repair: options.repair }),
      ...(options.rebalance === undefined ? {} : { rebalance: options.rebalance }),
      clock: Date.now,
      grant: async (address, body) => {
        await refusals.watch(address, rpc.call(address, grantRoute, body));
      },
      grantBatch: async (address, grants) => {
        const { results } = await refusals.watch(address, rpc.call(address, grantBatchRoute, { grants }));
        return results.map((result) => (result === null ? undefined : errorFromBody(500, result, address)));
      },
      cut: async (address, body) => {
        await refusals.watch(address, cutRpc.call(address, chunkTruncateRoute, body));
      },
      // The target reads the source's replica through its data path, which wants a read token.
      clone: (address, body) =>
        refusals.watch(
          address,
          cloneRpc.call(
            address,
            cloneRoute,
            tokens === null
              ? body
              : { ...body, sourceToken: tokens.mint(body.handle, body.version, 'r', CLONE_TOKEN_CLIENT) },
          ),
        ),
      // A revoke waits for mutations in serial order behind others, as a cut does.
      revoke: async (address, body) => {
        await refusals.watch(address, cutRpc.call(address, revokeRoute, body));
      },
      // A local copy moves up to a chunk of bytes on one disk, as a clone moves it across servers.
      copyLocal: async (address, body) => {
        await refusals.watch(address, cloneRpc.call(address, copyLocalRoute, body));
      },
      oplogObserver: metrics.oplog,
      logger,
    });
  } catch (error) {
    await closeRpc();
    await lock.release();
    throw error;
  }
  metrics.watch(node);
  const app = createRpcServer(logger, options.tls);
  observeRequests(app, metrics.requests);
  if (keys !== null) requirePeerSignatures(app, new PeerVerifier(keys.peerRequest, logger), MASTER_PEER_ROUTES);
  authenticateClients(app, keys);
  serveNamespaceRoutes(app, node, tokens);
  serveDelegationRoutes(app, node);
  serveAuthRoutes(app, keys);
  serveChunkRoutes(app, node, tokens);
  serveChunkserverRoutes(app, node, () => address);
  serveOpsRoutes(app, node, metrics.server);
  serveHealthRoutes(app, node);
  try {
    await listen(app, options.host, options.port);
    address = advertisedAddress(options.host, boundPort(app), options.advertise);
  } catch (error) {
    await app.close();
    await closeRpc();
    await node.close();
    await lock.release();
    throw error;
  }
  logger.info(
    `master listening address=${address} scheme=${scheme} listen=${options.host}:${options.port} dataDir=${options.dataDir} chunkSize=${chunkSizeBytes} files=${node.state.fileCount} chunks=${node.state.chunks.size}`,
  );
  // Re-replication runs from this timer and whenever a clone ends (its slot is free at once); each
  // tick is synchronous and bounded (scheduler.ts).
  const repairTick = () => {
    try {
      node.watchLiveness();
      node.repair.tick();
    } catch (error) {
      logger.error({ err: error }, 'repair tick failed');
    }
  };
  const repairTimer = setInterval(repairTick, REPAIR_TICK_MS);
  repairTimer.unref();
  node.repair.onCloneEnded = () => setImmediate(repairTick);
  // A large health scan runs a slice at a time; the next comes after what else is waiting.
  node.repair.onScanSliceDone = () =>
    setImmediate(() => {
      try {
        node.repair.continueScan();
      } catch (error) {
        logger.error({ err: error }, 'health scan failed');
      }
    });
  // The trash sweep (garbage collection): purges entries past --trash-retention, then the chunks
  // no file holds are deleted on their chunkservers through heartbeat replies.
  const sweepTimer = setInterval(() => {
    node.sweeper.sweep().catch((error: unknown) => logger.error({ err: error }, 'trash sweep failed'));
  }, TRASH_SWEEP_MS);
  sweepTimer.unref();
  // Pooled chunks past half their lease, and reservations past their lease, are deleted.
  const poolTimer = setInterval(() => node.leases.pool.expire(), CHUNK_POOL_SWEEP_MS);
  poolTimer.unref();
  let closing: Promise<void> | undefined;
  return {
    address,
    url: `${scheme}://${address}`,
    close: () => {
      closing ??= (async () => {
        clearInterval(repairTimer);
        clearInterval(sweepTimer);
        clearInterval(poolTimer);
        await app.close();
        await closeRpc();
        await node.close();
        await lock.release();
        logger.info(`master stopped address=${address}`);
      })();
      return closing;
    },
  };
}
