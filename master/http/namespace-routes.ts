// Namespace routes (shared/protocol/namespace.ts). Mutations answer after their record is
// durable; reads answer from memory once every mutation applied before them is durable. Deletes,
// overwrites and replacing renames send the old entry to the trash while --trash-retention > 0;
// the trash itself is hidden (visible-path.ts) and reached through the trash and restore routes.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GfsError } from '../../shared/errors.js';
import { serveRoute } from '../../shared/http/server.js';
import { LIST_ENTRIES_MAX, TRASH_LIST_MAX } from '../../shared/limits.js';
import { ancestorsOf, baseName, joinPath, normalizePath, ROOT_PATH } from '../../shared/paths.js';
import {
  chmodRoute,
  chownRoute,
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
import type { Reach } from '../delegations/delegations.js';
import type { MasterNode } from '../master-node.js';
import { owns } from '../permissions/access.js';
import {
  EXECUTE,
  READ,
  requireAccess,
  requireCreateBelow,
  requireOwner,
  requireParentWrite,
  requireSubtree,
  requireTraverse,
  WRITE,
} from '../permissions/path-checks.js';
import { createdBy } from '../state/recent-creates.js';
import { findTrashed, isTrashPath, listTrash, TRASH_ROOT } from '../state/trash.js';
import { DIR_MODE_DEFAULT, FILE_MODE_DEFAULT } from '../state/types.js';
import { type Caller, callerOf } from './caller.js';
import { chownFor } from './chown.js';
import type { ChunkTokenIssuer } from './chunk-tokens.js';
import { requireUndelegated } from './delegation-check.js';
import { entryView } from './entry-view.js';
import { visiblePath } from './visible-path.js';

/** The trash root's name in `/`, left out of the root's listing. */
const TRASH_ROOT_NAME = baseName(TRASH_ROOT);

/**
 * Who owns what a caller creates: the caller, and their first group (as on Linux, not HDFS's
 * parent-directory group: a user's files stay in a group they chose when their token was made).
 */
function ownershipBy(caller: Caller): { owner: string; group: string } {
  return { owner: caller.user, group: caller.groups[0] ?? caller.user };
}

/** `tokens`: a create's reserved chunk carries a write token (null under --insecure). */
export function serveNamespaceRoutes(app: FastifyInstance, node: MasterNode, tokens: ChunkTokenIssuer | null): void {
  const clock = node.options.clock;
  const state = node.state;
  const undelegated = (request: FastifyRequest, reach: Reach) => requireUndelegated(node.delegations, request, reach);
  // What mkdir -p and restore create on the way: each a new name in the directory above it.
  const missingAncestors = (path: string) => ancestorsOf(path).filter((ancestor) => !state.entries.has(ancestor));

  serveRoute(app, mkdirRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { near: body.recursive ? [path, ...missingAncestors(path)] : [path] });
    const caller = callerOf(request);
    // mkdir -p of what exists changes nothing: reaching it is all it takes.
    if (state.entries.has(path)) requireTraverse(state, caller, path);
    else requireCreateBelow(state, caller, path);
    await node.commit({
      op: 'mkdir',
      path,
      parents: body.recursive,
      mode: DIR_MODE_DEFAULT,
      mtimeMs: clock(),
      ...ownershipBy(caller),
    });
    return {};
  });

  serveRoute(app, createRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { near: [path] });
    const caller = callerOf(request);
    requireParentWrite(state, caller, path);
    // Replacing a file's contents is writing it, as O_TRUNC is.
    if (body.overwrite) requireAccess(state, caller, path, WRITE);
    const replication = body.replication ?? node.options.replication;
    const mode = body.mode ?? FILE_MODE_DEFAULT;
    const retried = body.createId === undefined ? undefined : createdBy(state, path, body.createId);
    // The answer to this create's earlier attempt was lost: it made the file, which is the answer.
    if (retried !== undefined) return entryView(path, retried);
    const mtimeMs = clock();
    const trash = node.usesTrash;
    const ownership = ownershipBy(caller);
    await node.commit({
      op: 'create',
      path,
      overwrite: body.overwrite,
      trash,
      replication,
      mode,
      mtimeMs,
      ...ownership,
      ...(body.createId === undefined ? {} : { createId: body.createId }),
    });
    const entry = entryView(path, { type: 'file', chunks: [], length: 0, mtimeMs, mode, replication, ...ownership });
    const reserved = body.reserveChunk === true ? node.leases.reserveFirstChunk(replication) : undefined;
    if (reserved === undefined) return entry;
    return { ...entry, reserved: tokens === null ? reserved : tokens.withWriteToken(reserved, callerOf(request).user) };
  });

  serveRoute(app, statRoute, async (body, request) => {
    const path = visiblePath(body.path);
    undelegated(request, { near: [path] });
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    requireTraverse(state, callerOf(request), path);
    const entry = node.state.entries.get(path);
    if (entry === undefined) throw new GfsError('NOT_FOUND', 'no such file or directory', path);
    return entryView(path, entry);
  });

  serveRoute(app, lookupRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { near: [path] });
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    requireTraverse(state, callerOf(request), path);
    const entry = isTrashPath(path) ? undefined : node.state.entries.get(path);
    return { entry: entry === undefined ? null : entryView(path, entry) };
  });

  serveRoute(app, listRoute, async (body, request) => {
    const path = visiblePath(body.path);
    undelegated(request, { near: [path] });
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const caller = callerOf(request);
    if (state.entries.get(path)?.type === 'dir') requireAccess(state, caller, path, READ);
    else requireTraverse(state, caller, path);
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

  serveRoute(app, renameRoute, async (body, request) => {
    const from = normalizePath(body.from);
    const to = normalizePath(body.to);
    undelegated(request, { subtree: [from, to] });
    const caller = callerOf(request);
    requireParentWrite(state, caller, from);
    requireParentWrite(state, caller, to);
    await node.commit({ op: 'rename', from, to, mtimeMs: clock(), trash: node.usesTrash });
    return {};
  });

  serveRoute(app, snapshotRoute, async (body, request) => {
    const from = normalizePath(body.from);
    const to = normalizePath(body.to);
    undelegated(request, { subtree: [from, to] });
    const caller = callerOf(request);
    // Reading the whole source tree, and adding a name beside the target. (Checked before the
    // fence: the snapshot's own checks run again when it is logged.)
    requireAccess(state, caller, from, READ);
    requireSubtree(state, caller, from, READ, READ | EXECUTE);
    requireParentWrite(state, caller, to);
    await node.snapshots.snapshot(from, to, clock());
    return {};
  });

  serveRoute(app, deleteRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { subtree: [path] });
    const caller = callerOf(request);
    requireParentWrite(state, caller, path);
    // Emptying a directory removes names from each directory in it (HDFS's subAccess).
    if (body.recursive) requireSubtree(state, caller, path, 0, WRITE | EXECUTE);
    await node.commit({ op: 'delete', path, recursive: body.recursive, mtimeMs: clock(), trash: node.usesTrash });
    return {};
  });

  serveRoute(app, trashRoute, async (_body, request) => {
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    const retentionMs = node.options.trashRetentionMs;
    // A user sees what they deleted (others' deleted paths are not theirs to know); a superuser all.
    const caller = callerOf(request);
    const { entries, total } = listTrash(
      node.state,
      TRASH_LIST_MAX,
      caller.superuser ? undefined : (entry) => owns(caller, entry),
    );
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

  serveRoute(app, restoreRoute, async (body, request) => {
    const path = visiblePath(body.path);
    const to = body.to === undefined ? path : normalizePath(body.to);
    undelegated(request, { near: missingAncestors(to), subtree: [to] });
    const caller = callerOf(request);
    requireCreateBelow(state, caller, to);
    // Finding the entry and applying the record happen in one synchronous step (commit applies
    // before its first await), so a concurrent restore or purge cannot slip in between.
    const match = findTrashed(node.state, path);
    if (match === undefined) throw new GfsError('NOT_FOUND', 'not in the trash', path);
    // What was deleted stays its owner's: nobody else takes it back (into a directory of theirs).
    const trashed = state.entries.get(match.trashedPath);
    if (trashed !== undefined && !owns(caller, trashed)) {
      throw new GfsError('PERMISSION_DENIED', `permission denied (${caller.user} does not own what was deleted)`, path);
    }
    await node.commit({ op: 'restore', name: match.name, path, to, mtimeMs: clock(), ...ownershipBy(caller) });
    return { path: to, deletedAtMs: match.info.deletedAtMs };
  });

  serveRoute(app, extendRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { near: [path] });
    requireAccess(state, callerOf(request), path, WRITE);
    if (body.attach === undefined) await node.commit({ op: 'extend', path, length: body.length, mtimeMs: clock() });
    else await node.leases.attachFirstChunk(path, body.attach, body.length, clock());
    const entry = node.state.entries.get(path);
    return { size: entry?.type === 'file' ? entry.length : body.length };
  });

  serveRoute(app, truncateRoute, async (body, request) => {
    const path = visiblePath(body.path);
    undelegated(request, { near: [path] });
    requireAccess(state, callerOf(request), path, WRITE);
    await node.truncator.truncate(path, body.length);
    return {};
  });

  serveRoute(app, reserveAppendRoute, async (body, request) => {
    const path = visiblePath(body.path);
    undelegated(request, { near: [path] });
    const barrier = node.readBarrier();
    if (barrier !== undefined) await barrier;
    requireAccess(state, callerOf(request), path, WRITE);
    // Reading the length and applying the new one happen in one synchronous step (commit applies
    // to memory before its first await), so concurrent reservations get disjoint ranges.
    const offset = requireFile(node.state, path).length;
    if (body.length > 0) {
      await node.commit({ op: 'setLength', path, length: offset + body.length, mtimeMs: clock() });
    }
    return { offset };
  });

  serveRoute(app, chmodRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { near: [path] });
    requireOwner(state, callerOf(request), path);
    await node.commit({ op: 'chmod', path, mode: body.mode });
    return {};
  });

  serveRoute(app, chownRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { near: [path] });
    await node.commit(chownFor(state, callerOf(request), path, body));
    return {};
  });

  serveRoute(app, utimesRoute, async (body, request) => {
    const path = normalizePath(body.path);
    undelegated(request, { near: [path] });
    const caller = callerOf(request);
    // Setting a time is the owner's; a writer may too (touch), as utimensat lets one set "now".
    try {
      requireOwner(state, caller, path);
    } catch {
      requireAccess(state, caller, path, WRITE);
    }
    await node.commit({ op: 'setMtime', path, mtimeMs: body.mtimeMs });
    return {};
  });

  serveRoute(app, statfsRoute, async () =>
    clusterStats(node.registry, node.options.replication, node.state.fileCount, clock()),
  );
}
