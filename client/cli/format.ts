// How client commands print entries, chunks and cluster status: `ls -l` columns, `stat`'s
// `key: value` lines, and the `--json` shapes of DESIGN §7 (exactly those keys, nothing more).

import type { RebalanceStatus } from '../../shared/protocol/health.js';
import type { ClusterStatus } from '../../shared/protocol/heartbeat.js';
import type { Entry } from '../../shared/protocol/namespace.js';
import type { FileChunk } from '../sdk/master-api.js';

/** `drwxr-xr-x` / `-rw-r--r--` from the entry's type and permission bits. */
export function modeString(type: Entry['type'], mode: number): string {
  const bits = 'rwxrwxrwx';
  let text = type === 'dir' ? 'd' : '-';
  for (let i = 0; i < 9; i++) text += mode & (1 << (8 - i)) ? bits[i] : '-';
  return text;
}

export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** `ls -l` lines: mode, replication, size in bytes, mtime (ISO 8601), name; numbers right-aligned. */
export function formatLongListing(
  entries: readonly Entry[],
  nameOf: (entry: Entry) => string = (e) => e.name,
): string[] {
  const replicationWidth = Math.max(1, ...entries.map((entry) => String(entry.replication).length));
  const sizeWidth = Math.max(1, ...entries.map((entry) => String(entry.size).length));
  return entries.map((entry) =>
    [
      modeString(entry.type, entry.mode),
      String(entry.replication).padStart(replicationWidth),
      String(entry.size).padStart(sizeWidth),
      entry.mtime,
      nameOf(entry),
    ].join(' '),
  );
}

export interface EntryJson {
  name: string;
  path: string;
  type: Entry['type'];
  size: number;
  replication: number;
  mtime: string;
  mode: number;
  owner: string;
  group: string;
}

export function entryJson(entry: Entry): EntryJson {
  const { name, path, type, size, replication, mtime, mode, owner, group } = entry;
  return { name, path, type, size, replication, mtime, mode, owner, group };
}

export interface ChunkJson {
  index: number;
  handle: string;
  version: number;
  size: number;
  replicas: string[];
}

export function statJson(entry: Entry, chunks?: readonly FileChunk[]) {
  const { path, type, size, replication, mtime, mode, owner, group } = entry;
  const chunkList: ChunkJson[] | undefined = chunks?.map(({ index, handle, version, size: bytes, replicas }) => ({
    index,
    handle,
    version,
    size: bytes,
    replicas: [...replicas],
  }));
  return { path, type, size, chunks: chunkList ?? entry.chunks, replication, mtime, mode, owner, group };
}

export function formatStat(entry: Entry, chunks?: readonly FileChunk[]): string[] {
  const lines = [
    `path: ${entry.path}`,
    `type: ${entry.type}`,
    `size: ${entry.size}`,
    `chunks: ${chunks?.length ?? entry.chunks}`,
    `replication: ${entry.replication}`,
    `mtime: ${entry.mtime}`,
    `mode: ${octalMode(entry.mode)} (${modeString(entry.type, entry.mode)})`,
    `owner: ${entry.owner}`,
    `group: ${entry.group}`,
  ];
  for (const chunk of chunks ?? []) {
    lines.push(
      `chunk ${chunk.index}: handle=${chunk.handle} version=${chunk.version} size=${chunk.size} replicas=${chunk.replicas.join(',')}`,
    );
  }
  return lines;
}

export function statusJson(status: ClusterStatus) {
  return {
    master: status.master,
    chunkservers: status.chunkservers.map(({ id, address, rack, alive, chunks, bytesUsed, lastHeartbeatMs }) => ({
      id,
      address,
      rack,
      alive,
      chunks,
      bytesUsed,
      lastHeartbeatMs,
    })),
    files: status.files,
    chunks: status.chunks,
    underReplicated: status.underReplicated,
  };
}

export function formatStatus(
  status: ClusterStatus,
  formatBytes: (bytes: number) => string,
  now: number = Date.now(),
): string[] {
  const alive = status.chunkservers.filter((server) => server.alive).length;
  const lines = [
    `master: ${status.master}${status.ready ? '' : ' (starting: waiting for chunk reports)'}`,
    `chunkservers: ${alive} alive of ${status.chunkservers.length}`,
    `files: ${status.files}  in trash: ${status.trashedFiles}  chunks: ${status.chunks}  under-replicated: ${status.underReplicated}`,
    repairLine(status.repair),
    ...(status.repair.rebalance === undefined ? [] : [rebalanceLine(status.repair.rebalance, formatBytes)]),
  ];
  if (status.chunkservers.length === 0) return lines;
  const rows = [
    ['ID', 'ADDRESS', 'RACK', 'ALIVE', 'CHUNKS', 'USED', 'LAST HEARTBEAT'],
    ...status.chunkservers.map((server) => [
      server.id,
      server.address,
      server.rack === '' ? '-' : server.rack,
      server.alive ? 'yes' : 'no',
      String(server.chunks),
      formatBytes(server.bytesUsed),
      heartbeatAge(server.lastHeartbeatMs, now),
    ]),
  ];
  return [...lines, '', ...formatTable(rows)];
}

/** Re-replication progress: clones running and done, chunks waiting, chunks nothing can repair. */
function repairLine(repair: ClusterStatus['repair']): string {
  const failed = repair.failed > 0 ? `  failed: ${repair.failed}` : '';
  const trimmed = (repair.trimmed ?? 0) > 0 ? `  over-goal replicas trimmed: ${repair.trimmed}` : '';
  return `repair: ${repair.inFlight} clones in flight, ${repair.done} done, ${repair.waiting} chunks waiting, ${repair.lost} lost${failed}${trimmed}`;
}

/** Rebalancing progress: moves running and done, bytes moved, servers beyond the threshold. */
function rebalanceLine(rebalance: RebalanceStatus, formatBytes: (bytes: number) => string): string {
  if (rebalance.bytesPerSecond === 0) return 'rebalance: off';
  const outOfBalance = rebalance.overFull + rebalance.underFull;
  const failed = rebalance.failed > 0 ? `  failed: ${rebalance.failed}` : '';
  return (
    `rebalance: ${rebalance.inFlight} moves in flight, ${rebalance.done} done, ${formatBytes(rebalance.bytesMoved)} moved, ` +
    `${outOfBalance} servers beyond ${rebalance.thresholdPercent} points of the mean use${failed}`
  );
}

/** Left-aligned columns two spaces apart. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** `lastHeartbeatMs` as an age; a value that looks like a wall-clock time is turned into one. */
function heartbeatAge(lastHeartbeatMs: number, now: number): string {
  const ageMs = lastHeartbeatMs > 1e12 ? now - lastHeartbeatMs : lastHeartbeatMs;
  return `${Math.max(0, Math.round(ageMs))} ms ago`;
}
