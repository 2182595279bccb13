// Typed calls to the master's routes (namespace, chunk locations, leases, status), one method per
// route of shared/protocol; transport failures come back from RpcClient as UNAVAILABLE errors
// that `isUnreachable` tells apart from a master answering UNAVAILABLE.
//
// A master that has answered this client before and cannot be reached now is taken to be
// restarting: calls wait for it (up to `outagePatienceMs`) instead of failing, so a mount or a long
// copy rides out a master restart. A call is sent again only when that cannot do anything twice:
// it never reached the master (the connection was refused), or doing it twice is harmless (reads,
// creates, which the master recognises by their id, setting a length or a mode), or its path being
// gone on the second attempt is the answer (renames, deletes). A master never reached fails at
// once: that is a wrong address, not a restart.

import { randomBytes } from 'node:crypto';
import { GfsError } from '../../shared/errors.js';
import { isUnreachable, type RpcClient, wasNeverSent } from '../../shared/http/client.js';
import type { BodyOf, ReplyOf, RouteDef } from '../../shared/http/route.js';
import { DELEGATED_PATIENCE_MS } from '../../shared/limits.js';
import { createTokenRoute, whoamiRoute } from '../../shared/protocol/auth.js';
import { appendLeaseRoute, fileChunksRoute, leaseRoute, locateRoute } from '../../shared/protocol/chunks.js';
import {
  delegateRoute,
  delegationRecallsRoute,
  delegationRenewRoute,
  delegationReturnRoute,
  HOLDER_HEADER,
} from '../../shared/protocol/delegations.js';
import { eventsRoute } from '../../shared/protocol/events.js';
import { cloneLogRoute, fsckRoute } from '../../shared/protocol/health.js';
import { statusRoute } from '../../shared/protocol/heartbeat.js';
import {
  chmodRoute,
  chownRoute,
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
import { delay, withRetries } from './retry.js';

export type LocateReply = ReplyOf<typeof locateRoute>;
export type LeaseReply = ReplyOf<typeof leaseRoute>;
export type AppendLeaseReply = ReplyOf<typeof appendLeaseRoute>;
export type FileChunk = ReplyOf<typeof fileChunksRoute>['chunks'][number];

/** How long a call waits by default for a master that answered before to come back. */
export const MASTER_OUTAGE_PATIENCE_MS_DEFAULT = 60_000;

export interface MasterApiOptions {
  /** How long a call waits for an unreachable master that answered before (0: fail at once). */
  outagePatienceMs?: number;
  /** The client token sent with every call (issue 7); none for a master run with --insecure. */
  token?: string;
  /**
   * This client's id as a holder of directory delegations (shared/protocol/delegations.ts), sent
   * with every call so that its own requests in the directories it holds pass.
   */
  holder?: string;
}

/** First wait before a request answered DELEGATED is sent again: the holder's recall is under way. */
const DELEGATED_BACKOFF_MS = 10;
/** Longest wait between those attempts: short, because what is waited for is a few flushes. */
const DELEGATED_BACKOFF_MS_MAX = 250;

/** Random bytes of a create's id: 96 bits, so two clients' ids for one path never meet. */
const CREATE_ID_BYTES = 12;

/** Whether a call may be sent again after a connection that broke once the request was out. */
type Resend = 'idempotent' | 'once';

export class MasterApi {
  /** Set by the first reply (an error reply too): from then on, unreachable means restarting. */
  private answered = false;
  private readonly outagePatienceMs: number;
  private readonly headers: Record<string, string> | undefined;

  constructor(
    private readonly rpc: RpcClient,
    readonly address: string,
    options: MasterApiOptions = {},
  ) {
    this.outagePatienceMs = options.outagePatienceMs ?? MASTER_OUTAGE_PATIENCE_MS_DEFAULT;
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.holder !== undefined) headers[HOLDER_HEADER] = options.holder;
    this.headers = Object.keys(headers).length === 0 ? undefined : headers;
  }

  /** The SDK's retry loop, kept going only through an outage of a master that answered before. */
  private call<R extends RouteDef>(def: R, body: BodyOf<R>, resend: Resend = 'idempotent'): Promise<ReplyOf<R>> {
    return withRetries(() => this.send(def, body), {
      retryIf: (error) => this.answered && isUnreachable(error) && (resend === 'idempotent' || wasNeverSent(error)),
      retriesMax: 1,
      patienceMs: () => this.outagePatienceMs,
    });
  }

  /**
   * `call` for a rename or delete of `path`, which may be sent again after its connection broke
   * mid-call: NOT_FOUND for `path` on a later attempt means an earlier one went through (the path
   * is gone), and that is the answer. It would be wrong only if another client removed the same
   * path in those seconds, and the path is gone then too.
   */
  private callUntilGone<R extends RouteDef>(
    def: R,
    body: BodyOf<R>,
    path: string,
    gone: ReplyOf<R>,
  ): Promise<ReplyOf<R>> {
    let maybeDone = false;
    return withRetries(
      async () => {
        try {
          return await this.send(def, body);
        } catch (error) {
          if (maybeDone && error instanceof GfsError && error.code === 'NOT_FOUND' && error.subject === path)
            return gone;
          throw error;
        }
      },
      {
        retryIf: (error) => {
          const retry = this.answered && isUnreachable(error);
          if (retry && !wasNeverSent(error)) maybeDone = true;
          return retry;
        },
        retriesMax: 1,
        patienceMs: () => this.outagePatienceMs,
      },
    );
  }

  /**
   * One request, sent again while the master answers DELEGATED: another client holds the
   * directory, and the master has recalled it. What that client had not sent yet reaches the
   * cluster before it gives the delegation back, so the answer that follows includes it
   * (close-to-open). Nothing was done on a DELEGATED answer, so sending again is always safe.
   */
  private async send<R extends RouteDef>(def: R, body: BodyOf<R>): Promise<ReplyOf<R>> {
    const startedMs = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce(def, body);
      } catch (error) {
        const delegated = error instanceof GfsError && error.code === 'DELEGATED';
        if (!delegated || Date.now() - startedMs >= DELEGATED_PATIENCE_MS) throw error;
        await delay(Math.min(DELEGATED_BACKOFF_MS_MAX, DELEGATED_BACKOFF_MS * 2 ** Math.min(attempt, 8)));
      }
    }
  }

  private async sendOnce<R extends RouteDef>(def: R, body: BodyOf<R>): Promise<ReplyOf<R>> {
    try {
      const reply = await this.rpc.call(this.address, def, body, def.url, this.headers);
      this.answered = true;
      return reply;
    } catch (error) {
      if (!isUnreachable(error)) this.answered = true;
      throw error;
    }
  }

  mkdir(path: string, recursive: boolean) {
    return this.call(mkdirRoute, { path, recursive }, recursive ? 'idempotent' : 'once');
  }
  /**
   * With `reserveChunk`, the reply may name a chunk set aside for the file's chunk 0 (`reserved`).
   * Every attempt carries the same `createId`, so a create sent again after its answer was lost
   * (the master restarted, the connection broke) gets the file its first attempt made.
   */
  create(path: string, overwrite: boolean, options: { mode?: number; reserveChunk?: boolean } = {}) {
    const { mode, reserveChunk } = options;
    const createId = randomBytes(CREATE_ID_BYTES).toString('base64url');
    return this.call(
      createRoute,
      {
        path,
        overwrite,
        createId,
        ...(mode === undefined ? {} : { mode }),
        ...(reserveChunk === true ? { reserveChunk } : {}),
      },
      'idempotent',
    );
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
    return this.callUntilGone(renameRoute, { from, to }, from, {});
  }
  snapshot(from: string, to: string) {
    return this.call(snapshotRoute, { from, to }, 'once');
  }
  delete(path: string, recursive: boolean) {
    return this.callUntilGone(deleteRoute, { path, recursive }, path, {});
  }
  /** With `attach`, the chunk the file's create reserved becomes its chunk 0 in the same step. */
  extend(path: string, length: number, attach?: string) {
    return attach === undefined
      ? this.call(extendRoute, { path, length })
      : this.call(extendRoute, { path, length, attach }, 'once');
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
  async events() {
    return (await this.call(eventsRoute, {})).events;
  }
  truncate(path: string, length: number) {
    return this.call(truncateRoute, { path, length });
  }
  async reserveAppend(path: string, length: number) {
    return (await this.call(reserveAppendRoute, { path, length }, 'once')).offset;
  }
  chmod(path: string, mode: number) {
    return this.call(chmodRoute, { path, mode });
  }
  whoami() {
    return this.call(whoamiRoute, {});
  }
  createToken(request: BodyOf<typeof createTokenRoute>) {
    return this.call(createTokenRoute, request, 'once');
  }
  chown(path: string, owner: string | undefined, group: string | undefined) {
    return this.call(chownRoute, {
      path,
      ...(owner === undefined ? {} : { owner }),
      ...(group === undefined ? {} : { group }),
    });
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
    return this.call(restoreRoute, to === undefined ? { path } : { path, to }, 'once');
  }
  takeDelegation(path: string, holder: string) {
    return this.call(delegateRoute, { path, holder });
  }
  renewDelegations(paths: string[], holder: string) {
    return this.call(delegationRenewRoute, { paths, holder });
  }
  returnDelegation(path: string, holder: string) {
    return this.call(delegationReturnRoute, { path, holder });
  }
  /** The recall long-poll: sent once (no outage patience), so a stopping mount is not held up. */
  async delegationRecalls(holder: string, waitMs: number) {
    return (await this.sendOnce(delegationRecallsRoute, { holder, waitMs })).recalled;
  }
}
