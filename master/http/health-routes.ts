// Health routes (shared/protocol/health.ts): `GET /fsck`, every chunk against its replication goal,
// `GET /repair/clones`, what re-replication did lately, and `GET /events`, the master's recent events.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { eventsRoute } from '../../shared/protocol/events.js';
import { type ChunkHealth, cloneLogRoute, fsckRoute } from '../../shared/protocol/health.js';
import type { ChunkserverRegistry } from '../chunkservers/registry.js';
import type { MasterNode } from '../master-node.js';
import type { ChunkCondition } from '../replication/health.js';

export function serveHealthRoutes(app: FastifyInstance, node: MasterNode): void {
  serveRoute(app, fsckRoute, async () => {
    // Before the chunk reports are in, every chunk would look lost.
    if (!node.gate.isReady()) throw new GfsError('NOT_READY', 'master is waiting for chunk reports');
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const health = node.health();
    const now = node.options.clock();
    const view = (condition: ChunkCondition) => chunkHealthView(node.registry, condition, now);
    const { counts } = health;
    return {
      healthy: counts.underReplicated + counts.lost + counts.corrupt === 0,
      chunks: health.chunks,
      underReplicated: health.underReplicated.map(view),
      lost: health.lost.map(view),
      corrupt: health.corrupt.map(view),
      counts,
    };
  });

  serveRoute(app, cloneLogRoute, async () => ({ clones: node.repair.cloneLog() }));

  serveRoute(app, eventsRoute, async () => ({ events: node.events.list() }));
}

function chunkHealthView(registry: ChunkserverRegistry, condition: ChunkCondition, now: number): ChunkHealth {
  const addressOf = (id: string) => registry.servers.get(id)?.address ?? id;
  return {
    path: condition.path,
    index: condition.index,
    handle: condition.handle,
    version: condition.version,
    replication: condition.goal,
    replicas: registry.liveHolders(condition.handle, now).map((info) => info.address),
    corrupt: condition.corruptIds.map(addressOf),
  };
}
