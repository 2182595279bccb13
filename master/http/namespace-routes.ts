// Namespace routes (shared/protocol/namespace.ts). Mutations answer after their record is
// durable; reads answer from memory once every mutation applied before them is durable. Deletes,
// overwrites and replacing renames send the old entry to the trash while --trash-retention > 0;
// the trash itself is hidden (visible-path.ts) and reached through the trash and restore routes.

import type { FastifyInstance } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { LIST_ENTRIES_MAX, TRASH_LIST_MAX } from '../../shared/limits.js';
import { baseName, joinPath, normalizePath, ROOT_PATH } from '../../shared/paths.js';
import {
  chmodRoute,
  createRoute,
  deleteRoute,
  type Entry,
  extendRoute,
  listRoute,
  lookupRoute,
  mkdirRoute,
  renameRoute,
  reserveAppendRoute,
  restoreRoute,
  snapshotRoute,
  statfsRoute,
  statRoute,
  trashRoute,
  truncateRoute,
  utimesRoute,
} from '../../shared/protocol/namespace.js';
import { clusterStats } from '../chunkservers/capacity.js';
import { requireFile } from '../chunkservers/locate.js';
import type { MasterNode } from '../master-node.js';
import { findTrashed, isTrashPath, listTrash, TRASH_ROOT } from '../state/trash.js';
import { DIR_MODE_DEFAULT, FILE_MODE_DEFAULT } from '../state/types.js';
import { callerOf } from './caller.js';
import type { ChunkTokenIssuer } from './chunk-tokens.js';
import { entryView } from './entry-view.js';
import { visiblePath } from './visible-path.js';

/** The trash root's name in `/`, left out of the root's listing. */
const TRASH_ROOT_NAME = baseName(TRASH_ROOT);

/** `tokens`: a create's reserved chunk carries a write token (null under --insecure). */
export function serveNamespaceRoutes(app: FastifyInstance, node: MasterNode, tokens: ChunkTokenIssuer | null): void {
  const clock = node.options.clock;

  serveRoute(app, mkdirRoute, async (body) => {
    const path = normalizePath(body.path);
    await node.commit({ op: 'mkdir', path, parents: body.recursive, mode: DIR_MODE_DEFAULT, mtimeMs: clock() });
    return {};
  });

  serveRoute(app, createRoute, async (body, request) => {
    const path = normalizePath(body.path);
    const replication = body.replication ?? node.options.replication;
    const mode = body.mode ?? FILE_MODE_DEFAULT;
    const mtimeMs = clock();
    const trash = node.usesTrash;
    await node.commit({ op: 'create', path, overwrite: body.overwrite, trash, replication, mode, mtimeMs });
    const entry = entryView(path, { type: 'file', chunks: [], length: 0, mtimeMs, mode, replication });
    const reserved = body.reserveChunk === true ? node.leases.reserveFirstChunk(replication) : undefined;
    if (reserved === undefined) return entry;
    return { ...entry, reserved: tokens === null ? reserved : tokens.withWriteToken(reserved, callerOf(request).user) };
  });

  serveRoute(app, statRoute, async (body) => {
    const path = visiblePath(body.path);
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const entry = node.state.entries.get(path);
    if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
    return entryView(path, entry);
  });

  serveRoute(app, lookupRoute, async (body) => {
    const path = normalizePath(body.path);
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const entry = isTrashPath(path) ? undefined : node.state.entries.get(path);
    return { entry: entry === undefined ? null : entryView(path, entry) };
  });

  serveRoute(app, listRoute, async (body) => {
    const path = visiblePath(body.path);
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const entry = node.state.entries.get(path);
    if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
    if (entry.type !== 'dir') throw new GfsError('NOT_A_DIRECTORY', 'not a directory', path);
    let names = [...(node.state.children.get(path) ?? [])].sort();
    if (path === ROOT_PATH) names = names.filter((name) => name !== TRASH_ROOT_NAME);
    if (names.length > LIST_ENTRIES_MAX) {
      throw new GfsError('INVALID_ARGUMENT', `directory has more than ${LIST_ENTRIES_MAX} entries`, path);
    }
    const entries: Entry[] = [];
    for (const name of names) {
      const childPath = joinPath(path, name);
      const child = node.state.entries.get(childPath);
      if (child !== undefined) entries.push(entryView(childPath, child, name));
    }
    return { entries };
  });

  serveRoute(app, renameRoute, async (body) => {
    const from = normalizePath(body.from);
    const to = normalizePath(body.to);
    await node.commit({ op: 'rename', from, to, mtimeMs: clock(), trash: node.usesTrash });
    return {};
  });

  serveRoute(app, snapshotRoute, async (body) => {
    await node.snapshots.snapshot(normalizePath(body.from), normalizePath(body.to), clock());
    return {};
  });

  serveRoute(app, deleteRoute, async (body) => {
    const path = normalizePath(body.path);
    await node.commit({ op: 'delete', path, recursive: body.recursive, mtimeMs: clock(), trash: node.usesTrash });
    return {};
  });

  serveRoute(app, trashRoute, async () => {
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const retentionMs = node.options.trashRetentionMs;
    const { entries, total } = listTrash(node.state, TRASH_LIST_MAX);
    return {
      total,
      entries: entries.map((entry) => ({
        path: entry.path,
        type: entry.type,
        size: entry.sizeBytes,
        files: entry.files,
        deletedAt: new Date(entry.deletedAtMs).toISOString(),
        deletedAtMs: entry.deletedAtMs,
        expiresAt: new Date(entry.deletedAtMs + retentionMs).toISOString(),
        expiresAtMs: entry.deletedAtMs + retentionMs,
      })),
    };
  });

  serveRoute(app, restoreRoute, async (body) => {
    const path = visiblePath(body.path);
    const to = body.to === undefined ? path : normalizePath(body.to);
    // Finding the entry and applying the record happen in one synchronous step (commit applies
    // before its first await), so a concurrent restore or purge cannot slip in between.
    const match = findTrashed(node.state, path);
    if (match === undefined) throw new GfsError('NOT_FOUND', 'not in the trash', path);
    await node.commit({ op: 'restore', name: match.name, path, to, mtimeMs: clock() });
    return { path: to, deletedAtMs: match.info.deletedAtMs };
  });

  serveRoute(app, extendRoute, async (body) => {
    const path = normalizePath(body.path);
    if (body.attach === undefined) await node.commit({ op: 'extend', path, length: body.length, mtimeMs: clock() });
    else await node.leases.attachFirstChunk(path, body.attach, body.length, clock());
    const entry = node.state.entries.get(path);
    return { size: entry?.type === 'file' ? entry.length : body.length };
  });

  serveRoute(app, truncateRoute, async (body) => {
    await node.truncator.truncate(visiblePath(body.path), body.length);
    return {};
  });

  serveRoute(app, reserveAppendRoute, async (body) => {
    const path = visiblePath(body.path);
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    // Reading the length and applying the new one happen in one synchronous step (commit applies
    // to memory before its first await), so concurrent reservations get disjoint ranges.
    const offset = requireFile(node.state, path).length;
    if (body.length > 0) {
      await node.commit({ op: 'setLength', path, length: offset + body.length, mtimeMs: clock() });
    }
    return { offset };
  });

  serveRoute(app, chmodRoute, async (body) => {
    await node.commit({ op: 'chmod', path: normalizePath(body.path), mode: body.mode });
    return {};
  });

  serveRoute(app, utimesRoute, async (body) => {
    await node.commit({ op: 'setMtime', path: normalizePath(body.path), mtimeMs: body.mtimeMs });
    return {};
  });

  serveRoute(app, statfsRoute, async () =>
    clusterStats(node.registry, node.options.replication, node.state.fileCount, clock()),
  );
}
