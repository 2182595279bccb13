// The master's metrics for GET /metrics: its own prom-client registry (ServerMetrics), request
// latency per route, the operation log's commit latency and batch sizes (observed as they happen),
// and gauges and counters read from the master's state at scrape time (collect callbacks), so the
// mutation paths pay nothing for them. Every metric is listed in docs/metrics.md.

import { Gauge, Histogram } from 'prom-client';
import { ServerMetrics } from '../shared/metrics/registry.js';
import { RequestMetrics } from '../shared/metrics/request-metrics.js';
import type { MasterNode } from './master-node.js';
import type { OpLogObserver } from './oplog/op-log.js';

/** Seconds from append to durable: one fsync on a fast disk is ~1 ms, a slow one tens of ms. */
const COMMIT_SECONDS_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Records per LMDB transaction: 1 when mutations come one at a time, hundreds under load. */
const BATCH_RECORDS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];

export class MasterMetrics {
  readonly server = new ServerMetrics();
  readonly requests = new RequestMetrics(this.server.registry);
  readonly oplog: OpLogObserver;

  constructor() {
    const registers = [this.server.registry];
    const commitSeconds = new Histogram({
      name: 'gfs_master_oplog_commit_seconds',
      help: 'Time from a record appended to the operation log to it durable on disk',
      buckets: COMMIT_SECONDS_BUCKETS,
      registers,
    });
    const batchRecords = new Histogram({
      name: 'gfs_master_oplog_batch_records',
      help: 'Records per operation-log transaction (group commit: one sync serves them all)',
      buckets: BATCH_RECORDS_BUCKETS,
      registers,
    });
    this.oplog = {
      recordCommitted: (seconds) => commitSeconds.observe(seconds),
      batchCommitted: (records) => batchRecords.observe(records),
    };
  }

  /** Registers what is read from the master's state at scrape time. */
  watch(node: MasterNode): void {
    const { server } = this;
    const state = node.state;
    const gauge = server.gaugeFrom.bind(server);
    const counter = server.counterFrom.bind(server);
    const now = () => node.options.clock();
    gauge('gfs_master_ready', 'Whether the master has finished its start-up wait', () => (node.gate.isReady() ? 1 : 0));
    gauge('gfs_master_files', 'Files in the namespace, outside the trash', () => state.fileCount);
    gauge(
      'gfs_master_directories',
      'Directories in the namespace (the trash included)',
      () => state.entries.size - state.fileCount - state.trashFileCount,
    );
    gauge('gfs_master_trashed_files', 'Files in the trash, not yet purged', () => state.trashFileCount);
    gauge('gfs_master_trash_entries', 'Deletions waiting in the trash', () => state.trash.size);
    counter(
      'gfs_master_trash_purged_total',
      'Trash entries purged after their retention',
      () => node.sweeper.entriesPurged,
    );
    gauge('gfs_master_chunks', 'Chunks in the chunk table', () => state.chunks.size);
    gauge('gfs_master_chunkservers', 'Registered chunkservers', () => node.registry.servers.size);
    gauge(
      'gfs_master_chunkservers_alive',
      'Chunkservers with a recent heartbeat',
      () => node.registry.liveServers().length,
    );
    new Gauge({
      name: 'gfs_master_chunkserver_heartbeat_age_seconds',
      help: 'Seconds since each registered chunkserver last reported (dead past --dead-after)',
      labelNames: ['chunkserver', 'address'],
      registers: [server.registry],
      collect() {
        // Rebuilt at each scrape: a chunkserver that left the registry leaves the metric too.
        this.reset();
        const nowMs = now();
        for (const info of node.registry.servers.values()) {
          this.set({ chunkserver: info.id, address: info.address }, Math.max(0, nowMs - info.lastHeartbeatMs) / 1000);
        }
      },
    });
    gauge('gfs_master_leases', 'Entries in the lease table', () => node.leases.leases.size);
    counter(
      'gfs_master_lease_grants_total',
      'Leases granted to a primary (new chunk, pooled chunk taken, or version bump)',
      () => node.leases.leases.grantedTotal,
    );
    gauge('gfs_master_delegations', 'Directories delegated to a mount now', () => node.delegations.liveCount());
    counter(
      'gfs_master_delegation_recalls_total',
      "Delegations recalled because another client's request touched the directory",
      () => node.delegations.recallsTotal,
    );
    gauge(
      'gfs_master_delegation_recall_polls',
      'Recall long-polls of delegation holders waiting now',
      () => node.delegations.waiters.size,
    );
    gauge('gfs_master_log_seq', 'Sequence number of the last logged record', () => node.stateLog.seq);
    gauge(
      'gfs_master_checkpoint_seq',
      'Sequence number of the newest checkpoint',
      () => node.stateLog.lastCheckpointSeq,
    );
    counter(
      'gfs_master_log_records_total',
      'Records appended to the operation log by this process',
      () => node.stateLog.recordsAppended,
    );
    gauge('gfs_master_under_replicated_chunks', 'Chunks with fewer live replicas than their replication', () =>
      node.chunksBelowGoal(),
    );
    gauge(
      'gfs_master_replication_queue_chunks',
      'Under-replicated chunks in the re-replication queue, waiting or being cloned (as of the last scan)',
      () => node.repair.queuedChunks,
    );
    gauge('gfs_master_clones_in_flight', 'Re-replication clones running', () => node.repair.status().inFlight);
    counter('gfs_master_clones_done_total', 'Clones that added a replica', () => node.repair.status().done);
    counter(
      'gfs_master_clones_failed_total',
      'Clones that failed or came back stale',
      () => node.repair.status().failed,
    );
    gauge(
      'gfs_master_repair_waiting_chunks',
      'Under-replicated chunks waiting for a clone',
      () => node.repair.status().waiting,
    );
    counter(
      'gfs_master_replicas_trimmed_total',
      'Replicas deleted because their chunk had more than its replication goal',
      () => node.repair.trimmer.trimmed,
    );
    const rebalance = () => node.repair.rebalancer.status(now());
    gauge('gfs_master_rebalance_moves_in_flight', 'Rebalancing moves running', () => rebalance().inFlight);
    counter('gfs_master_rebalance_moves_done_total', 'Rebalancing moves that moved a replica', () => rebalance().done);
    counter(
      'gfs_master_rebalance_moves_failed_total',
      'Rebalancing moves that failed or came back stale',
      () => rebalance().failed,
    );
    counter(
      'gfs_master_rebalance_bytes_moved_total',
      'Bytes copied by rebalancing moves',
      () => rebalance().bytesMoved,
    );
    gauge(
      'gfs_master_rebalance_servers_out_of_balance',
      'Live chunkservers whose disk use is beyond the rebalancing threshold from the mean',
      () => {
        const status = rebalance();
        return status.overFull + status.underFull;
      },
    );
    const pool = node.leases.pool;
    gauge('gfs_master_chunk_pool_ready', 'New chunks created ahead of demand, ready', () => pool.readyCount);
    counter(
      'gfs_master_chunk_pool_taken_total',
      'Pooled chunks handed to a new chunk or a create (no grant round trip)',
      () => pool.counts.taken,
    );
    counter(
      'gfs_master_chunk_pool_attached_total',
      'Chunks reserved by a create and attached by the extend after the write',
      () => pool.counts.attached,
    );
    counter(
      'gfs_master_chunk_pool_dropped_total',
      'Pooled or reserved chunks deleted unused (aged, replica lost, not attached)',
      () => pool.counts.dropped,
    );
  }
}
