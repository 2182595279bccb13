// Chunkserver routes (shared/protocol/heartbeat.ts): registration with a full chunk report,
// heartbeats (lease extensions, deletions), corruption reports, and the cluster status.
// A heartbeat from a server declared dead is refused, so it registers again with a full report.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { corruptRoute, heartbeatRoute, registerRoute, statusRoute } from '../../shared/protocol/heartbeat.js';
import type { MasterNode } from '../master-node.js';

export function serveChunkserverRoutes(app: FastifyInstance, node: MasterNode, masterAddress: () => string): void {
  const { registry } = node;
  const logger = node.options.logger;

  serveRoute(app, registerRoute, async (body) => {
    const known = registry.servers.has(body.id);
    const deleteHandles = await node.register(
      {
        id: body.id,
        address: body.address,
        rack: body.rack,
        capacityBytes: body.capacityBytes,
        usedBytes: body.usedBytes,
      },
      body.chunks,
    );
    logger.info(
      `chunkserver registered id=${body.id} address=${body.address} rack=${body.rack} chunks=${body.chunks.length} again=${known}`,
    );
    return { chunkSize: node.state.chunkSizeBytes, deleteHandles };
  });

  serveRoute(app, heartbeatRoute, async (body) => {
    const known = registry.servers.get(body.id);
    if (known !== undefined && !registry.isAlive(known)) {
      // Declared dead: its replicas stopped counting and may have been re-replicated, bumped or
      // deleted meanwhile. It comes back as a restarted server does, with a full chunk report, and
      // only replicas at the current version are trusted again (reports.ts).
      logger.warn(`heartbeat from a chunkserver declared dead id=${body.id}: asking it to register again`);
      throw new GfsError('UNKNOWN_CHUNKSERVER', 'declared dead: register again with a full report', body.id);
    }
    const info = await node.heartbeat(body.id, body.capacityBytes, body.usedBytes);
    if (info === undefined) {
      throw new GfsError('UNKNOWN_CHUNKSERVER', 'unknown chunkserver: register again with a full report', body.id);
    }
    if (body.chunks !== undefined) await node.processReport(body.id, body.chunks);
    const leases = node.leases.extend(body.id, body.extendLeases);
    return { leases, deleteHandles: registry.takeDeletes(body.id) };
  });

  serveRoute(app, corruptRoute, async (body) => {
    if (!registry.servers.has(body.id)) {
      throw new GfsError('UNKNOWN_CHUNKSERVER', 'unknown chunkserver: register again with a full report', body.id);
    }
    if (node.state.chunks.has(body.handle)) {
      registry.markCorrupt(body.handle, body.id);
      node.repair.requestScan();
    } else {
      registry.removeLocation(body.handle, body.id);
      registry.scheduleDelete(body.id, body.handle);
    }
    logger.warn(`corrupt replica reported handle=${body.handle} server=${body.id}`);
    return {};
  });

  serveRoute(app, statusRoute, async () => {
    const now = node.options.clock();
    return {
      master: masterAddress(),
      ready: node.gate.isReady(),
      chunkSize: node.state.chunkSizeBytes,
      chunkservers: [...registry.servers.values()]
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((info) => ({
          id: info.id,
          address: info.address,
          rack: info.rack,
          alive: registry.isAlive(info, now),
          chunks: info.chunks.size,
          bytesUsed: info.usedBytes,
          capacityBytes: info.capacityBytes,
          lastHeartbeatMs: info.lastHeartbeatMs,
        })),
      files: node.state.fileCount,
      trashedFiles: node.state.trashFileCount,
      chunks: node.state.chunks.size,
      underReplicated: node.chunksBelowGoal(),
      repair: {
        ...node.repair.status(),
        trimmed: node.repair.trimmer.trimmed,
        rebalance: node.repair.rebalancer.status(now),
      },
    };
  });
}
