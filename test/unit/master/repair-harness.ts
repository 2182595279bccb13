// The repair tests' master: a MasterNode on a temporary data dir with an injected clock, grants
// that always succeed, and a fake clone caller whose clones the test finishes or fails by hand.
// `cleanUpHarnesses` (afterEach) fails the clones left running and closes every node.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GrantBody } from '../../../master/leases/grants.js';
import { MasterNode } from '../../../master/master-node.js';
import type { RebalanceSettings } from '../../../master/replication/rebalancer.js';
import type { CloneBody, RepairLimits } from '../../../master/replication/scheduler.js';
import { GfsError } from '../../../shared/errors.js';
import { silentLogger } from '../../../shared/log.js';
import { noSnapshotOrders } from './unexpected-orders.js';

export const CHUNK = 1024 * 1024;
export const LEASE_MS = 60_000;
export const DEAD_AFTER_MS = 10_000;

export interface CloneCall {
  target: string;
  body: CloneBody;
  finish(): void;
  fail(error: GfsError): void;
}

export interface Harness {
  node: MasterNode;
  clones: CloneCall[];
  grants: GrantBody[];
  advance(ms: number): void;
  /** Registers a server holding `chunks` at version 1 (capacity 1e12 unless given). */
  server(
    id: string,
    chunks: string[],
    fields?: { rack?: string; usedBytes?: number; capacityBytes?: number },
  ): Promise<void>;
  /** Heartbeats from these servers only: the others go silent. */
  heartbeat(...ids: string[]): void;
  /** Files /f<i>: each a list of chunk handles, added at version 1. */
  files(layout: Record<string, string[]>, replication?: number): Promise<void>;
  /** Deletes a file into the trash (its chunks stay, held by the trashed file). */
  trash(path: string): Promise<void>;
  /** Lets every clone started so far finish, then ticks; repeats until nothing more starts. */
  drain(): Promise<void>;
}

const dirs: string[] = [];
const nodes: MasterNode[] = [];
/** Every clone any test started: those left running are failed at the end, so nothing hangs. */
const allClones: CloneCall[] = [];
export async function cleanUpHarnesses(): Promise<void> {
  for (const call of allClones.splice(0)) call.fail(new GfsError('UNAVAILABLE', 'test over'));
  for (const node of nodes.splice(0)) {
    await node.repair.settled();
    await node.close();
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

export async function harness(
  limits: Partial<RepairLimits> = {},
  rebalance: Partial<RebalanceSettings> = { bytesPerSecond: 0 },
): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gfs-repair-'));
  dirs.push(dataDir);
  let now = 1_000_000;
  const clones: CloneCall[] = [];
  const grants: GrantBody[] = [];
  const node = await MasterNode.open({
    ...noSnapshotOrders,
    dataDir,
    chunkSizeBytes: CHUNK,
    replication: 3,
    leaseMs: LEASE_MS,
    deadAfterMs: DEAD_AFTER_MS,
    trashRetentionMs: 0,
    startupWaitMs: 0,
    repair: { settleMs: 0, startupHoldOffMs: 0, retryBackoffMs: 5_000, ...limits },
    rebalance,
    clock: () => now,
    grant: async (_address, body) => {
      grants.push(body);
    },
    cut: async (address) => {
      throw new GfsError('INTERNAL', 'no cut expected', address);
    },
    clone: (target, body) =>
      new Promise<{ sizeBytes: number }>((resolve, reject) => {
        const call = { target, body, finish: () => resolve({ sizeBytes: CHUNK }), fail: reject };
        clones.push(call);
        allClones.push(call);
      }),
    logger: silentLogger(),
  });
  nodes.push(node);
  const nextIndex = new Map<string, number>();
  const settled = new Set<CloneCall>();
  const h: Harness = {
    node,
    clones,
    grants,
    advance: (ms) => {
      now += ms;
    },
    server: async (id, chunks, fields = {}) => {
      await node.register(
        {
          id,
          address: `${id}:1`,
          rack: fields.rack ?? '',
          capacityBytes: fields.capacityBytes ?? 1e12,
          usedBytes: fields.usedBytes ?? 0,
        },
        chunks.map((handle) => ({ handle, version: 1, size: CHUNK })),
      );
    },
    heartbeat: (...ids) => {
      for (const id of ids) {
        const info = node.registry.servers.get(id);
        if (info) node.registry.heartbeat(id, info.capacityBytes, info.usedBytes);
      }
    },
    files: async (layout, replication = 3) => {
      await node.commit({ op: 'reserveHandles', nextHandle: '100000' });
      for (const [path, handles] of Object.entries(layout)) {
        const parent = path.slice(0, path.lastIndexOf('/'));
        if (parent !== '') await node.commit({ op: 'mkdir', path: parent, parents: true, mode: 0o755, mtimeMs: 1 });
        await node.commit({ op: 'create', path, overwrite: false, replication, mode: 0o644, mtimeMs: 1 });
        for (const handle of handles) {
          const index = nextIndex.get(path) ?? 0;
          nextIndex.set(path, index + 1);
          await node.commit({ op: 'addChunk', path, index, handle, version: 1 });
        }
      }
    },
    trash: async (path) => {
      await node.commit({ op: 'delete', path, recursive: false, mtimeMs: 1, trash: true });
    },
    drain: async () => {
      for (let round = 0; round < 100; round++) {
        const pending = clones.filter((call) => !settled.has(call));
        if (pending.length === 0) return;
        for (const call of pending) {
          settled.add(call);
          call.finish();
        }
        await node.repair.settled();
        node.repair.tick();
      }
      throw new Error('clones never stopped');
    },
  };
  return h;
}
