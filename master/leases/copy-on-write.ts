// Copy-on-write (DESIGN §3): before a chunk that a snapshot shares (refcount > 1) gets a lease,
// the file being mutated gets its own copy. The master takes a new handle, asks every live
// up-to-date replica of the shared chunk to copy it locally (`POST /chunk/copy-local`: no bytes
// cross the network), and only then logs `replaceChunk`, which points that one file at the copy.
// The lease is then granted on the copy like on any chunk (the caller looks again). Replicas whose
// copy failed are simply not holders of the new chunk; re-replication brings it to its goal.
//
// Copies first, log second, as for a new chunk: if the master dies in between, the copies are
// orphans (their handle was reserved and is never reused), deleted at their holders' next report,
// and the file still names the shared chunk, which the writer's retry copies again.
//
// One copy per file and chunk: the shared chunk is held (busy) while its copy runs, so every other
// writer of it, in this file or another, waits and then looks again. This file then names the copy;
// the other file may find the chunk no longer shared and lease it as it is, with no copy at all.

import { GfsError } from '../../shared/errors.js';
import type { BodyOf } from '../../shared/http/route.js';
import type { Logger } from '../../shared/log.js';
import type { copyLocalRoute } from '../../shared/protocol/data.js';
import type { ChunkserverRegistry } from '../chunkservers/registry.js';
import type { LogRecord, MasterState } from '../state/types.js';
import type { HandleAllocator } from './handle-allocator.js';

export type CopyLocalBody = BodyOf<typeof copyLocalRoute>;
/** Sends `POST /chunk/copy-local` to a replica; resolves once its copy is durable. */
export type CopyLocalCaller = (address: string, body: CopyLocalBody) => Promise<void>;

export interface CopyOnWriteContext {
  state: MasterState;
  commit(record: LogRecord): Promise<unknown>;
  registry: ChunkserverRegistry;
  copyLocal: CopyLocalCaller;
  handles: HandleAllocator;
  /** Chunks with a grant, clone or copy in flight: lease requests wait, reports leave them alone. */
  busy: Map<string, Promise<unknown>>;
  logger: Logger;
}

/**
 * Gives chunk `index` of the file at `path`, the shared chunk `shared`, a copy of its own. The
 * caller saw, in the same synchronous step, that the chunk is shared and not busy. Resolves once
 * the copy is logged, or once it turned out not to be needed (the file changed meanwhile); either
 * way the caller looks at the file again.
 */
export async function copyOnWrite(ctx: CopyOnWriteContext, path: string, index: number, shared: string): Promise<void> {
  let release: () => void = () => undefined;
  const marker = new Promise<void>((resolve) => {
    release = resolve;
  });
  ctx.busy.set(shared, marker);
  let copy: string | undefined;
  try {
    [copy] = await ctx.handles.allocate(1);
    if (copy === undefined) throw new GfsError('INTERNAL', 'no handle allocated for a chunk copy', shared);
    // The copy is not in the chunk table until it is logged: held, reports do not take it for an orphan.
    ctx.busy.set(copy, marker);
    await copyAndLog(ctx, path, index, shared, copy);
  } finally {
    for (const handle of [shared, copy])
      if (handle !== undefined && ctx.busy.get(handle) === marker) ctx.busy.delete(handle);
    release();
  }
}

async function copyAndLog(
  ctx: CopyOnWriteContext,
  path: string,
  index: number,
  shared: string,
  copy: string,
): Promise<void> {
  const { state, registry, logger } = ctx;
  const meta = state.chunks.get(shared);
  if (meta === undefined) return;
  const version = meta.version;
  const holders = registry.liveHolders(shared);
  if (holders.length === 0) {
    throw new GfsError('UNAVAILABLE', 'no live up-to-date replica of the shared chunk to copy', shared);
  }
  const results = await Promise.allSettled(
    holders.map((info) => ctx.copyLocal(info.address, { from: shared, to: copy, version })),
  );
  const copied = holders.filter((info, i) => {
    const result = results[i];
    if (result?.status === 'fulfilled') return true;
    const reason = result?.reason instanceof Error ? result.reason.message : String(result?.reason);
    logger.warn(`chunk copy failed handle=${shared} copy=${copy} server=${info.id} error=${reason}`);
    return false;
  });
  if (copied.length === 0) throw new GfsError('UNAVAILABLE', 'no replica could copy the shared chunk', shared);
  // The copies took a while: the record must still fit (checked and applied in this same step).
  const file = state.entries.get(path);
  if (file?.type !== 'file' || file.chunks[index] !== shared || state.chunks.get(shared)?.version !== version) {
    logger.info(`chunk copy not needed any more handle=${shared} copy=${copy} path=${path}`);
    for (const info of copied) registry.scheduleDelete(info.id, copy);
    return;
  }
  await ctx.commit({ op: 'replaceChunk', path, index, from: shared, handle: copy, version });
  for (const info of copied) registry.addLocation(copy, info.id);
  logger.info(
    `chunk copied on write path=${path} index=${index} handle=${shared} copy=${copy} version=${version} replicas=${copied.length}/${holders.length}`,
  );
}
