// Operational routes every server has: GET /healthz (200 once ready, 503 NOT_READY during the
// start-up wait) and GET /metrics in Prometheus text format.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import type { MasterNode } from '../master-node.js';

export function serveOpsRoutes(app: FastifyInstance, node: MasterNode): void {
  app.get('/healthz', async () => {
    if (!node.gate.isReady()) {
      throw new GfsError('NOT_READY', `waiting for chunk reports (${node.gate.waitingFor} chunks unreported)`);
    }
    return { ok: true };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return metricsText(node);
  });
}

export function metricsText(node: MasterNode): string {
  const state = node.state;
  const repair = node.repair.status();
  const rebalance = node.repair.rebalancer.status(node.options.clock());
  const pool = node.leases.pool;
  const gauges: Array<[string, string, 'gauge' | 'counter', number]> = [
    ['gfs_master_ready', 'Whether the master has finished its start-up wait', 'gauge', node.gate.isReady() ? 1 : 0],
    ['gfs_master_files', 'Files in the namespace, outside the trash', 'gauge', state.fileCount],
    [
      'gfs_master_directories',
      'Directories in the namespace (the trash included)',
      'gauge',
      state.entries.size - state.fileCount - state.trashFileCount,
    ],
    ['gfs_master_trashed_files', 'Files in the trash, not yet purged', 'gauge', state.trashFileCount],
    ['gfs_master_trash_entries', 'Deletions waiting in the trash', 'gauge', state.trash.size],
    [
      'gfs_master_trash_purged_total',
      'Trash entries purged after their retention',
      'counter',
      node.sweeper.entriesPurged,
    ],
    ['gfs_master_chunks', 'Chunks in the chunk table', 'gauge', state.chunks.size],
    ['gfs_master_chunkservers', 'Registered chunkservers', 'gauge', node.registry.servers.size],
    [
      'gfs_master_chunkservers_alive',
      'Chunkservers with a recent heartbeat',
      'gauge',
      node.registry.liveServers().length,
    ],
    ['gfs_master_leases', 'Entries in the lease table', 'gauge', node.leases.leases.size],
    ['gfs_master_log_seq', 'Sequence number of the last logged record', 'gauge', node.stateLog.seq],
    ['gfs_master_checkpoint_seq', 'Sequence number of the newest checkpoint', 'gauge', node.stateLog.lastCheckpointSeq],
    [
      'gfs_master_log_records_total',
      'Records appended to the operation log by this process',
      'counter',
      node.stateLog.recordsAppended,
    ],
    [
      'gfs_master_under_replicated_chunks',
      'Chunks with fewer live replicas than their replication',
      'gauge',
      node.chunksBelowGoal(),
    ],
    ['gfs_master_clones_in_flight', 'Re-replication clones running', 'gauge', repair.inFlight],
    ['gfs_master_clones_done_total', 'Clones that added a replica', 'counter', repair.done],
    ['gfs_master_clones_failed_total', 'Clones that failed or came back stale', 'counter', repair.failed],
    ['gfs_master_repair_waiting_chunks', 'Under-replicated chunks waiting for a clone', 'gauge', repair.waiting],
    [
      'gfs_master_replicas_trimmed_total',
      'Replicas deleted because their chunk had more than its replication goal',
      'counter',
      node.repair.trimmer.trimmed,
    ],
    ['gfs_master_rebalance_moves_in_flight', 'Rebalancing moves running', 'gauge', rebalance.inFlight],
    ['gfs_master_rebalance_moves_done_total', 'Rebalancing moves that moved a replica', 'counter', rebalance.done],
    [
      'gfs_master_rebalance_moves_failed_total',
      'Rebalancing moves that failed or came back stale',
      'counter',
      rebalance.failed,
    ],
    ['gfs_master_rebalance_bytes_moved_total', 'Bytes copied by rebalancing moves', 'counter', rebalance.bytesMoved],
    [
      'gfs_master_rebalance_servers_out_of_balance',
      'Live chunkservers whose disk use is beyond the rebalancing threshold from the mean',
      'gauge',
      rebalance.overFull + rebalance.underFull,
    ],
    ['gfs_master_chunk_pool_ready', 'New chunks created ahead of demand, ready', 'gauge', pool.readyCount],
    [
      'gfs_master_chunk_pool_taken_total',
      'Pooled chunks handed to a new chunk or a create (no grant round trip)',
      'counter',
      pool.counts.taken,
    ],
    [
      'gfs_master_chunk_pool_attached_total',
      'Chunks reserved by a create and attached by the extend after the write',
      'counter',
      pool.counts.attached,
    ],
    [
      'gfs_master_chunk_pool_dropped_total',
      'Pooled or reserved chunks deleted unused (aged, replica lost, not attached)',
      'counter',
      pool.counts.dropped,
    ],
  ];
  let text = '';
  for (const [name, help, type, value] of gauges)
    text += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
  return text;
}
