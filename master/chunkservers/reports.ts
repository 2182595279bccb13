// Chunk reports from registration and heartbeats, against the chunk table (GFS §4.5):
// same version → an up-to-date location; lower → stale, deleted; higher → the master missed a
// logged version bump (it crashed between telling replicas and logging), so it adopts the higher
// version; unknown handle → an orphan, deleted. Chunks with a grant or clone in flight are left
// alone, and so are replicas reported corrupt (they stay out of service until replaced).

import { GfsError } from '../../shared/errors.js';
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
  const { registry, state } = ctx;
  const reported = new Set<string>();
  const adoptions: Promise<void>[] = [];
  for (const report of reports) {
    reported.add(report.handle);
    if (ctx.isBusy(report.handle)) continue;
    const meta = state.chunks.get(report.handle);
    if (meta === undefined) {
      registry.removeLocation(report.handle, info.id);
      registry.scheduleDelete(info.id, report.handle);
    } else if (report.version < meta.version) {
      markStale(ctx, info, report.handle, report.version, meta.version);
    } else if (report.version > meta.version) {
      adoptions.push(adoptHigherVersion(ctx, info, report));
    } else if (!registry.corrupt.has(report.handle, info.id) && !info.pendingDeletes.has(report.handle)) {
      // (A replica reported corrupt earlier is still on disk but stays out of service; so does one
      // trimmed or moved away whose deletion has not reached its server yet.)
      registry.addLocation(report.handle, info.id);
      ctx.gate.reported(report.handle);
    }
  }
  // Replicas the server no longer has.
  for (const handle of [...info.chunks]) {
    if (!reported.has(handle) && !ctx.isBusy(handle)) registry.removeLocation(handle, info.id);
  }
  await Promise.all(adoptions);
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
  // synchronously up to commit(), which applies at once, so two adoptions cannot interleave.
  const staleIds = [...registry.holderIds(report.handle)];
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
  }
}
