// Chunkserver entries for the pure placement, planning and trimming tests: 100 GiB, empty, no rack
// unless told otherwise.

import type { ChunkserverInfo } from '../../../master/chunkservers/registry.js';

export const GiB = 1024 ** 3;

export function server(id: string, fields: Partial<ChunkserverInfo> = {}): ChunkserverInfo {
  return {
    id,
    address: `${id}:1`,
    rack: '',
    capacityBytes: 100 * GiB,
    usedBytes: 0,
    lastHeartbeatMs: 0,
    chunks: new Set(),
    pendingDeletes: new Set(),
    heldAdoptions: new Map(),
    heartbeating: true,
    ...fields,
  };
}

export const ids = (servers: readonly ChunkserverInfo[]) => servers.map((info) => info.id);
