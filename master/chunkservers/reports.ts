// Chunk reports from registration and heartbeats, against the chunk table (GFS §4.5):
// same version → an up-to-date location; lower → stale, deleted; higher → the master missed a
// logged version bump (it crashed between telling replicas and logging), so it adopts the higher
// version; unknown handle → an orphan, deleted. Chunks with a grant or clone in flight are left
// alone, and so are replicas reported corrupt (they stay out of service until replaced).
//
// Adopting a higher version makes every other replica stale, so it is not done on the word of a
// single request: a server's registration report only holds its higher versions, adopted at its
// first heartbeat, once it has shown it is a running chunkserver. Before that, a registration
// that named a dead or bogus address (a broken or hostile peer) would have left the chunk with
// its real replicas deleted and one unreachable location. A version above CHUNK_VERSION_MAX is
// never adopted: no grant makes one, and the data path could not read it.

import { GfsError } from '../../shared/errors.js';
import { CHUNK_VERSION_MAX } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import type { ChunkReport } from '../../shared/protocol/heartbeat.js';
import type { LogRecord, MasterState } from '../state/types.js';
import type { ChunkserverInfo, ChunkserverRegistry } from './registry.js';
import type { StartupGate } from './startup-gate.js';

export interface ReportContext {
  state: MasterState;
  registry: ChunkserverRegistry;
  gate: StartupGate;
  commit(record: LogRecord): Promise<unknown>;
  /** True while a grant (new chunk or version bump) for the chunk is in flight. */
  isBusy(handle: string): boolean;
  logger: Logger;
}

/** Applies a full chunk report of one server; resolves once adopted versions are logged. */
export async function processFullReport(
  ctx: ReportContext,
  info: ChunkserverInfo,
  reports: readonly ChunkReport[],
): Promise<void> {
  const { registry } = ctx;
  const reported = new Set<string>();
  const adoptions: Promise<void>[] = [];
  for (const report of reports) {
    reported.add(report.handle);
    applyReport(ctx, info, report, adoptions);
  }
  // Replicas the server no longer has.
  for (const handle of [...info.chunks]) {
    if (!reported.has(handle) && !ctx.isBusy(handle)) registry.removeLocation(handle, info.id);
  }
  await Promise.all(adoptions);
}

/**
 * At a server's first heartbeat: the higher versions its registration reported. One the master
 * has reached meanwhile is stale: only a grant gets there (a co-holder's adoption of the same
 * version takes this server's report along, adoptHigherVersion), and the replicas that took the
 * grant may have taken writes since, which this one's bytes at that version lack.
 */
export async function adoptHeldVersions(ctx: ReportContext, info: ChunkserverInfo): Promise<void> {
  const held = [...info.heldAdoptions.values()];
  info.heldAdoptions.clear();
  const adoptions: Promise<void>[] = [];
  for (const report of held) {
    const meta = ctx.state.chunks.get(report.handle);
    if (meta !== undefined && report.version <= meta.version && !ctx.isBusy(report.handle)) {
      markStale(ctx, info, report.handle, report.version, meta.version);
    } else {
      applyReport(ctx, info, report, adoptions);
    }
  }
  await Promise.all(adoptions);
}

/** One replica of a report against the chunk table; an adoption it starts is pushed on `adoptions`. */
function applyReport(ctx: ReportContext, info: ChunkserverInfo, report: ChunkReport, adoptions: Promise<void>[]): void {
  const { registry, state } = ctx;
  if (ctx.isBusy(report.handle)) return;
  const meta = state.chunks.get(report.handle);
  if (meta === undefined) {
    registry.removeLocation(report.handle, info.id);
    registry.scheduleDelete(info.id, report.handle);
  } else if (report.version < meta.version) {
    markStale(ctx, info, report.handle, report.version, meta.version);
  } else if (report.version > CHUNK_VERSION_MAX) {
    // Garbage, not a missed bump: neither current nor provably stale, so left where it is.
    registry.removeLocation(report.handle, info.id);
    ctx.logger.warn(
      `ignored replica with an impossible version handle=${report.handle} server=${info.id} version=${report.version}`,
    );
  } else if (report.version > meta.version) {
    if (info.heartbeating) adoptions.push(adoptHigherVersion(ctx, info, report));
    else info.heldAdoptions.set(report.handle, report);
  } else if (!registry.corrupt.has(report.handle, info.id) && !info.pendingDeletes.has(report.handle)) {
    // (A replica reported corrupt earlier is still on disk but stays out of service; so does one
    // trimmed or moved away whose deletion has not reached its server yet.)
    registry.addLocation(report.handle, info.id);
    ctx.gate.reported(report.handle);
  }
}

function markStale(ctx: ReportContext, info: ChunkserverInfo, handle: string, version: number, current: number): void {
  ctx.registry.removeLocation(handle, info.id);
  ctx.registry.scheduleDelete(info.id, handle);
  ctx.logger.info(`stale replica handle=${handle} server=${info.id} version=${version} current=${current}`);
}

async function adoptHigherVersion(ctx: ReportContext, info: ChunkserverInfo, report: ChunkReport): Promise<void> {
  const { registry, state } = ctx;
  const meta = state.chunks.get(report.handle);
  if (meta === undefined) return;
  // Holders at the old version become stale the moment the higher version is adopted. This runs
  // synchronously up to commit(), which applies at once, so two adoptions cannot interleave. The
  // reporting server may be one of them (a running holder whose grant's ack was lost): it holds
  // the adopted version now, so it is no stale holder; ordering its deletion lost the chunk.
  const staleIds = [...registry.holderIds(report.handle)].filter((id) => id !== info.id);
  for (const id of staleIds) registry.removeLocation(report.handle, id);
  const previous = meta.version;
  try {
    await ctx.commit({ op: 'setVersion', handle: report.handle, version: report.version });
  } catch (error) {
    if (!(error instanceof GfsError) || error.code === 'INTERNAL') throw error;
    // The chunk was deleted meanwhile: nothing to adopt.
    return;
  }
  ctx.logger.warn(
    `adopted higher version handle=${report.handle} server=${info.id} version=${report.version} was=${previous}`,
  );
  for (const id of staleIds) registry.scheduleDelete(id, report.handle);
  const current = state.chunks.get(report.handle);
  if (current?.version === report.version) {
    registry.addLocation(report.handle, info.id);
    ctx.gate.reported(report.handle);
    takeHeldAlong(ctx, report);
  }
}

/**
 * Servers whose registration reported the version just adopted hold the same replica as the
 * adopting one (they took the same grant): current too, without waiting for their heartbeat.
 */
function takeHeldAlong(ctx: ReportContext, adopted: ChunkReport): void {
  for (const other of ctx.registry.servers.values()) {
    if (other.heldAdoptions.get(adopted.handle)?.version !== adopted.version) continue;
    other.heldAdoptions.delete(adopted.handle);
    ctx.registry.addLocation(adopted.handle, other.id);
  }
}
