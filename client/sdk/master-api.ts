// Typed calls to the master's routes (namespace, chunk locations, leases, status). Keeps apart the
// two ways a call can fail with UNAVAILABLE: the master could not be reached at all, or the master
// answered that something (a lease holder, a replica) is unavailable for now.

import { GfsError } from '../../shared/errors.js';
import { errorFromResponse, type RpcClient } from '../../shared/http/client.js';
import type { BodyOf, ReplyOf, RouteDef } from '../../shared/http/route.js';
import { fileChunksRoute, leaseRoute, locateRoute } from '../../shared/protocol/chunks.js';
import { statusRoute } from '../../shared/protocol/heartbeat.js';
import {
  createRoute,
  deleteRoute,
  extendRoute,
  listRoute,
  mkdirRoute,
  renameRoute,
  statRoute,
} from '../../shared/protocol/namespace.js';

const unreachable = new WeakSet<GfsError>();

/** True when the error says a server could not be reached (no answer), not that it refused. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof GfsError && unreachable.has(error);
}

/** Calls a JSON route on any server; transport failures are UNAVAILABLE errors marked unreachable. */
export async function callRoute<R extends RouteDef>(
  rpc: RpcClient,
  address: string,
  def: R,
  body: BodyOf<R>,
  urlPath = def.url,
): Promise<ReplyOf<R>> {
  let response: Awaited<ReturnType<RpcClient['request']>>;
  try {
    response = await rpc.request(
      address,
      def.method === 'GET'
        ? { method: 'GET', path: urlPath }
        : {
            method: def.method,
            path: urlPath,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          },
    );
  } catch (error) {
    throw markUnreachable(error, address);
  }
  if (response.statusCode >= 400) throw await errorFromResponse(response, address);
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw markUnreachable(error, address);
  }
  try {
    return (text === '' ? {} : JSON.parse(text)) as ReplyOf<R>;
  } catch {
    throw new GfsError('INTERNAL', 'malformed reply', address);
  }
}

export function markUnreachable(error: unknown, address: string): GfsError {
  const gfsError =
    error instanceof GfsError ? error : new GfsError('UNAVAILABLE', `cannot reach server (${String(error)})`, address);
  if (gfsError.code === 'UNAVAILABLE') unreachable.add(gfsError);
  return gfsError;
}

export type LocateReply = ReplyOf<typeof locateRoute>;
export type LeaseReply = ReplyOf<typeof leaseRoute>;
export type FileChunk = ReplyOf<typeof fileChunksRoute>['chunks'][number];

export class MasterApi {
  constructor(
    private readonly rpc: RpcClient,
    readonly address: string,
  ) {}

  private call<R extends RouteDef>(def: R, body: BodyOf<R>): Promise<ReplyOf<R>> {
    return callRoute(this.rpc, this.address, def, body);
  }

  mkdir(path: string, recursive: boolean) {
    return this.call(mkdirRoute, { path, recursive });
  }
  create(path: string, overwrite: boolean) {
    return this.call(createRoute, { path, overwrite });
  }
  stat(path: string) {
    return this.call(statRoute, { path });
  }
  async list(path: string) {
    return (await this.call(listRoute, { path })).entries;
  }
  rename(from: string, to: string) {
    return this.call(renameRoute, { from, to });
  }
  delete(path: string, recursive: boolean) {
    return this.call(deleteRoute, { path, recursive });
  }
  extend(path: string, length: number) {
    return this.call(extendRoute, { path, length });
  }
  locate(path: string, index: number, count: number) {
    return this.call(locateRoute, { path, index, count });
  }
  lease(path: string, index: number) {
    return this.call(leaseRoute, { path, index });
  }
  async fileChunks(path: string) {
    return (await this.call(fileChunksRoute, { path })).chunks;
  }
  status() {
    return this.call(statusRoute, {});
  }
}
