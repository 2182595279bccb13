// Typed calls to the master's routes (namespace, chunk locations, leases, status), one method per
// route of shared/protocol; transport failures come back from RpcClient as UNAVAILABLE errors
// that `isUnreachable` tells apart from a master answering UNAVAILABLE.

import type { RpcClient } from '../../shared/http/client.js';
import type { BodyOf, ReplyOf, RouteDef } from '../../shared/http/route.js';
import { appendLeaseRoute, fileChunksRoute, leaseRoute, locateRoute } from '../../shared/protocol/chunks.js';
import { cloneLogRoute, fsckRoute } from '../../shared/protocol/health.js';
import { statusRoute } from '../../shared/protocol/heartbeat.js';
import {
  chmodRoute,
  createRoute,
  deleteRoute,
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

export type LocateReply = ReplyOf<typeof locateRoute>;
export type LeaseReply = ReplyOf<typeof leaseRoute>;
export type AppendLeaseReply = ReplyOf<typeof appendLeaseRoute>;
export type FileChunk = ReplyOf<typeof fileChunksRoute>['chunks'][number];

export class MasterApi {
  constructor(
    private readonly rpc: RpcClient,
    readonly address: string,
  ) {}

  private call<R extends RouteDef>(def: R, body: BodyOf<R>): Promise<ReplyOf<R>> {
    return this.rpc.call(this.address, def, body);
  }

  mkdir(path: string, recursive: boolean) {
    return this.call(mkdirRoute, { path, recursive });
  }
  /** With `reserveChunk`, the reply may name a chunk set aside for the file's chunk 0 (`reserved`). */
  create(path: string, overwrite: boolean, options: { mode?: number; reserveChunk?: boolean } = {}) {
    const { mode, reserveChunk } = options;
    return this.call(createRoute, {
      path,
      overwrite,
      ...(mode === undefined ? {} : { mode }),
      ...(reserveChunk === true ? { reserveChunk } : {}),
    });
  }
  stat(path: string) {
    return this.call(statRoute, { path });
  }
  /** stat, with undefined for a missing path instead of NOT_FOUND. */
  async lookup(path: string) {
    return (await this.call(lookupRoute, { path })).entry ?? undefined;
  }
  async list(path: string) {
    return (await this.call(listRoute, { path })).entries;
  }
  rename(from: string, to: string) {
    return this.call(renameRoute, { from, to });
  }
  snapshot(from: string, to: string) {
    return this.call(snapshotRoute, { from, to });
  }
  delete(path: string, recursive: boolean) {
    return this.call(deleteRoute, { path, recursive });
  }
  /** With `attach`, the chunk the file's create reserved becomes its chunk 0 in the same step. */
  extend(path: string, length: number, attach?: string) {
    return this.call(extendRoute, attach === undefined ? { path, length } : { path, length, attach });
  }
  locate(path: string, index: number, count: number) {
    return this.call(locateRoute, { path, index, count });
  }
  lease(path: string, index: number) {
    return this.call(leaseRoute, { path, index });
  }
  appendLease(path: string, after?: number) {
    return this.call(appendLeaseRoute, after === undefined ? { path } : { path, after });
  }
  async fileChunks(path: string) {
    return (await this.call(fileChunksRoute, { path })).chunks;
  }
  status() {
    return this.call(statusRoute, {});
  }
  fsck() {
    return this.call(fsckRoute, {});
  }
  async cloneLog() {
    return (await this.call(cloneLogRoute, {})).clones;
  }
  truncate(path: string, length: number) {
    return this.call(truncateRoute, { path, length });
  }
  async reserveAppend(path: string, length: number) {
    return (await this.call(reserveAppendRoute, { path, length })).offset;
  }
  chmod(path: string, mode: number) {
    return this.call(chmodRoute, { path, mode });
  }
  utimes(path: string, mtimeMs: number) {
    return this.call(utimesRoute, { path, mtimeMs });
  }
  statfs() {
    return this.call(statfsRoute, {});
  }
  async trash() {
    return (await this.call(trashRoute, {})).entries;
  }
  restore(path: string, to: string | undefined) {
    return this.call(restoreRoute, to === undefined ? { path } : { path, to });
  }
}
