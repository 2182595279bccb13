// The control side of a mutation (GFS §3.1): the primary orders a write with a serial number,
// applies it and forwards it to every secondary in parallel; a secondary applies what the primary
// forwards, in serial order. Also version grants from the master, lease revocation (snapshots)
// and sync.

import { type ErrorBody, GfsError } from '../../shared/errors.js';
import type { RpcClient } from '../../shared/http/client.js';
import type { BodyOf } from '../../shared/http/route.js';
import { REVOKE_DRAIN_MS_MAX, recordBytesMax } from '../../shared/limits.js';
import type { Logger } from '../../shared/log.js';
import {
  type AppendReply,
  type appendRoute,
  type applyRoute,
  chunkApplyTruncateRoute,
  type chunkTruncateRoute,
  type grantRoute,
  padRoute,
  type revokeRoute,
  type writeRoute,
} from '../../shared/protocol/data.js';
import type { ClaimedData, PushBuffer } from '../push/push-buffer.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { checkHandle } from '../store/handle.js';
import { ApplyForwarder } from './apply-forwarder.js';
import type { Lease, LeaseTable } from './lease-table.js';
import { OrderedMutations } from './ordered-mutations.js';
import type { SerialQueues } from './serial-queue.js';

export type WriteRequest = BodyOf<typeof writeRoute>;
export type ApplyRequest = BodyOf<typeof applyRoute>;
export type AppendRequest = BodyOf<typeof appendRoute>;
export type PadRequest = BodyOf<typeof padRoute>;
export type GrantRequest = BodyOf<typeof grantRoute>;
export type TruncateRequest = BodyOf<typeof chunkTruncateRoute>;
export type ApplyTruncateRequest = BodyOf<typeof chunkApplyTruncateRoute>;
export type RevokeRequest = BodyOf<typeof revokeRoute>;
/** An inline write (client → primary): the bytes came with the request. */
export interface InlineWriteRequest {
  handle: string;
  version: number;
  offset: number;
  secondaries: string[];
}
/** An inline apply (primary → secondary): the bytes came with the request. */
export interface InlineApplyRequest {
  handle: string;
  version: number;
  offset: number;
  serial: number;
}

export interface MutatorDeps {
  store: ChunkStore;
  buffer: PushBuffer;
  leases: LeaseTable;
  queues: SerialQueues;
  rpc: RpcClient;
  logger: Logger;
  onBytesWritten: (bytes: number) => void;
}

export class Mutator {
  /** Padding of chunks in flight, so appends that find the chunk full answer once it is padded. */
  private readonly padding = new Map<string, Promise<void>>();

  private readonly forwarder: ApplyForwarder;
  /** Mutations this server ordered as primary that have not ended yet (a revoke waits for them). */
  private readonly ordered = new OrderedMutations();

  constructor(private readonly deps: MutatorDeps) {
    this.forwarder = new ApplyForwarder(deps.rpc);
  }

  /** Client → primary. Resolves with the serial once every replica applied the write. */
  async write(request: WriteRequest): Promise<{ serial: number }> {
    const { leases } = this.deps;
    const { handle, version } = request;
    this.checkVersion(handle, version);
    this.checkRange(request);
    const lease = leases.check(handle, version);
    // Everything that can refuse the write happens before a serial is taken: once taken, a serial
    // must reach the queue and every secondary, or they would wait for it until the gap timeout.
    const data = this.deps.buffer.claim(request.dataId, request.length);
    const serial = leases.nextSerial(handle, version);
    lease.appendEnd = Math.max(this.appendEndOf(handle, lease), request.offset + request.length);
    await this.ordered.track(handle, this.replicate(request, serial, request.offset, data));
    this.deps.logger.debug({ handle, version, serial, offset: request.offset, bytes: request.length }, 'write applied');
    return { serial };
  }

  /**
   * Client → primary, with the bytes in hand (an inline write): ordered like `write`, applied here,
   * and forwarded to every secondary with the bytes in the apply itself (no push beforehand).
   */
  async writeInline(request: InlineWriteRequest, data: ClaimedData): Promise<{ serial: number }> {
    const { leases } = this.deps;
    const { handle, version, offset } = request;
    let lease: Lease;
    try {
      this.checkVersion(handle, version);
      this.checkRange({ handle, offset, length: data.bytes });
      lease = leases.check(handle, version);
    } catch (error) {
      data.release();
      throw error;
    }
    const serial = leases.nextSerial(handle, version);
    lease.appendEnd = Math.max(this.appendEndOf(handle, lease), offset + data.bytes);
    const local = this.deps.queues.submit(handle, version, serial, () => this.storeClaimed(handle, offset, data));
    const remote = onSecondaries(request.secondaries, (address) =>
      this.forwarder.applyInline(address, { handle, version, offset, serial }, data),
    );
    try {
      await settleAll([local, ...remote]);
    } finally {
      // Only now: the forwards send from the same bytes.
      data.release();
    }
    this.deps.logger.debug({ handle, version, serial, offset, bytes: data.bytes }, 'inline write applied');
    return { serial };
  }

  /**
   * Primary → secondary: an inline apply, in serial order. `data` is the error when the bytes did
   * not arrive whole: the serial still takes its turn (and fails), so later serials need not wait
   * for the gap timeout.
   */
  async applyInline(request: InlineApplyRequest, data: ClaimedData | GfsError): Promise<Record<string, never>> {
    const { handle, version, serial, offset } = request;
    let payload = data;
    try {
      this.checkVersion(handle, version);
      if (!(payload instanceof GfsError)) {
        try {
          this.checkRange({ handle, offset, length: payload.bytes });
        } catch (error) {
          payload.release();
          payload = error instanceof GfsError ? error : new GfsError('INTERNAL', String(error), handle);
        }
      }
      await this.deps.queues.submit(handle, version, serial, () => this.applyClaimed(handle, offset, payload));
      return {};
    } finally {
      if (!(payload instanceof GfsError)) payload.release();
    }
  }

  /**
   * Client → primary: record append (GFS §3.3). The offset is picked and the serial taken in one
   * synchronous step, so appends in flight get disjoint ranges in serial order. A record that does
   * not fit pads the chunk to its end on every replica; the client then appends to the next chunk.
   */
  async append(request: AppendRequest): Promise<AppendReply> {
    const { leases, store } = this.deps;
    const { handle, version } = request;
    this.checkVersion(handle, version);
    const lease = leases.check(handle, version);
    const limit = recordBytesMax(store.chunkSizeBytes);
    if (request.length > limit) {
      this.deps.buffer.discard(request.dataId);
      throw new GfsError(
        'RECORD_TOO_LARGE',
        `append of ${request.length} bytes exceeds ${limit} (chunk size / 4)`,
        handle,
      );
    }
    const end = this.appendEndOf(handle, lease);
    if (end + request.length > store.chunkSizeBytes) {
      this.deps.buffer.discard(request.dataId);
      await this.padFrom(request, lease, end);
      return { offset: null };
    }
    const data = this.deps.buffer.claim(request.dataId, request.length);
    const serial = leases.nextSerial(handle, version);
    lease.appendEnd = end + request.length;
    await this.ordered.track(handle, this.replicate(request, serial, end, data));
    return { offset: end };
  }

  /** Primary → secondary: record-append padding, in serial order. */
  async pad(request: PadRequest): Promise<Record<string, never>> {
    const { handle, version, serial } = request;
    this.checkVersion(handle, version);
    await this.deps.queues.submit(handle, version, serial, () => this.deps.store.pad(handle, request.offset));
    return {};
  }

  /** Primary → secondary: the same mutation, applied in serial order. */
  async apply(request: ApplyRequest): Promise<Record<string, never>> {
    const { handle, version, serial } = request;
    this.checkVersion(handle, version);
    let data: ClaimedData | GfsError;
    try {
      this.checkRange(request);
      data = this.deps.buffer.claim(request.dataId, request.length);
    } catch (error) {
      data = error instanceof GfsError ? error : new GfsError('INTERNAL', String(error), handle);
    }
    await this.deps.queues.submit(handle, version, serial, () => this.applyClaimed(handle, request.offset, data));
    return {};
  }

  /** Primary → secondary: several mutations at once; one result per mutation (null: applied). */
  async applyBatch(mutations: readonly ApplyRequest[]): Promise<{ results: Array<ErrorBody | null> }> {
    const settled = await Promise.allSettled(mutations.map((mutation) => this.apply(mutation)));
    return {
      results: settled.map((result) => {
        if (result.status === 'fulfilled') return null;
        const error = result.reason;
        return error instanceof GfsError ? error.toJSON() : { code: 'INTERNAL', message: String(error) };
      }),
    };
  }

  /**
   * Master → primary: cuts the chunk at `offset` on every replica under one serial, so the cut is
   * ordered with the chunk's writes and appends like any mutation. Appends ordered after it
   * continue from the cut.
   */
  async truncate(request: TruncateRequest): Promise<{ serial: number }> {
    const { handle, version, offset } = request;
    this.checkVersion(handle, version);
    this.checkRange({ handle, offset, length: 0 });
    const lease = this.deps.leases.check(handle, version);
    const serial = this.deps.leases.nextSerial(handle, version);
    lease.appendEnd = Math.min(this.appendEndOf(handle, lease), offset);
    const local = this.deps.queues.submit(handle, version, serial, () => this.deps.store.truncate(handle, offset));
    const remote = onSecondaries(request.secondaries, (address) =>
      this.deps.rpc.call(address, chunkApplyTruncateRoute, { handle, version, offset, serial }),
    );
    await this.ordered.track(handle, settleAll([local, ...remote]));
    this.deps.logger.info({ handle, version, serial, offset }, 'chunk truncated');
    return { serial };
  }

  /** Primary → secondary: the cut of a truncate, in serial order. */
  async applyTruncate(request: ApplyTruncateRequest): Promise<Record<string, never>> {
    const { handle, version, serial, offset } = request;
    this.checkVersion(handle, version);
    await this.deps.queues.submit(handle, version, serial, () => this.deps.store.truncate(handle, offset));
    return {};
  }

  /** Master → replica: a new version, durable before the reply; with leaseMs, the lease. */
  async grant(request: GrantRequest, receivedAtMs: number): Promise<Record<string, never>> {
    const { handle, version } = request;
    checkHandle(handle);
    const before = this.deps.store.versionOf(handle);
    await this.deps.store.setVersion(handle, version, request.create);
    if (before !== version) {
      this.deps.queues.drop(handle, new GfsError('STALE_VERSION', `chunk is now at version ${version}`, handle));
    }
    if (request.leaseMs === undefined) this.deps.leases.revoke(handle);
    else this.deps.leases.grant(handle, version, request.leaseMs, receivedAtMs);
    this.deps.logger.info(
      { handle, version, create: request.create, primary: request.leaseMs !== undefined },
      'version granted',
    );
    return {};
  }

  /**
   * Master → primary (a snapshot's first step): drops the lease, so no further mutation of the
   * chunk is ordered here, then waits (at most REVOKE_DRAIN_MS_MAX) for those already ordered to
   * end on every replica. Any lease on the chunk goes, whatever its version: the master moves the
   * chunk to a new version next.
   */
  async revoke(request: RevokeRequest): Promise<Record<string, never>> {
    const handle = checkHandle(request.handle);
    this.deps.leases.revoke(handle);
    const drained = await this.ordered.drained(handle, REVOKE_DRAIN_MS_MAX);
    this.deps.logger.info({ handle, version: request.version, drained }, 'lease revoked');
    return {};
  }

  /**
   * Master → replica: many grants at once (the master's pool of new chunks). New chunks are created
   * together (ChunkStore.createChunks: durable at their first sync); one outcome per grant, null
   * when it was taken.
   */
  async grantBatch(
    grants: readonly GrantRequest[],
    receivedAtMs: number,
  ): Promise<{ results: Array<ErrorBody | null> }> {
    const { store, leases } = this.deps;
    for (const grant of grants) checkHandle(grant.handle);
    const creates = grants.filter((grant) => grant.create && store.versionOf(grant.handle) === undefined);
    const byVersion = new Map<number, string[]>();
    for (const grant of creates) byVersion.set(grant.version, [...(byVersion.get(grant.version) ?? []), grant.handle]);
    const created = new Map<string, unknown>();
    for (const [version, handles] of byVersion) {
      const outcomes = await store.createChunks(handles, version);
      handles.forEach((handle, i) => {
        created.set(handle, outcomes[i]);
      });
    }
    const settled = await Promise.allSettled(
      grants.map(async (grant) => {
        if (!created.has(grant.handle)) return this.grant(grant, receivedAtMs);
        const failure = created.get(grant.handle);
        if (failure !== undefined) throw failure;
        if (grant.leaseMs !== undefined) leases.grant(grant.handle, grant.version, grant.leaseMs, receivedAtMs);
        return {};
      }),
    );
    this.deps.logger.info({ grants: grants.length, created: creates.length }, 'grant batch taken');
    return {
      results: settled.map((result) => {
        if (result.status === 'fulfilled') return null;
        const error = result.reason;
        return error instanceof GfsError ? error.toJSON() : { code: 'INTERNAL', message: String(error) };
      }),
    };
  }

  async sync(handle: string): Promise<Record<string, never>> {
    await this.deps.store.sync(checkHandle(handle));
    return {};
  }

  /** Deleting a chunk also forgets its lease and waiting mutations. */
  async deleteChunk(handle: string): Promise<void> {
    this.deps.leases.revoke(handle);
    this.deps.queues.drop(handle, new GfsError('CHUNK_NOT_FOUND', 'chunk deleted', handle));
    if (await this.deps.store.delete(handle)) this.deps.logger.info({ handle }, 'replica deleted');
  }

  /** Where the next append of this lease goes: after every mutation it ordered. */
  private appendEndOf(handle: string, lease: Lease): number {
    lease.appendEnd ??= this.deps.store.sizeOf(handle);
    return lease.appendEnd;
  }

  /** Pads the chunk from `end` once; later appends that find it full wait for that padding. */
  private async padFrom(request: AppendRequest, lease: Lease, end: number): Promise<void> {
    const { handle, version } = request;
    const chunkSize = this.deps.store.chunkSizeBytes;
    if (end >= chunkSize) {
      await this.padding.get(handle)?.catch(() => undefined);
      return;
    }
    const serial = this.deps.leases.nextSerial(handle, version);
    lease.appendEnd = chunkSize;
    const local = this.deps.queues.submit(handle, version, serial, () => this.deps.store.pad(handle, end));
    const remote = onSecondaries(request.secondaries, (address) =>
      this.deps.rpc.call(address, padRoute, { handle, version, offset: end, serial }),
    );
    const done = this.ordered.track(handle, settleAll([local, ...remote]));
    this.padding.set(handle, done);
    try {
      await done;
      this.deps.logger.debug({ handle, version, serial, offset: end }, 'chunk padded for record append');
    } finally {
      if (this.padding.get(handle) === done) this.padding.delete(handle);
    }
  }

  /** Applies a claimed mutation here and on every secondary under one serial. */
  private async replicate(
    request: { handle: string; version: number; dataId: string; length: number; secondaries: string[] },
    serial: number,
    offset: number,
    data: ClaimedData,
  ): Promise<void> {
    const { handle, version } = request;
    const local = this.deps.queues.submit(handle, version, serial, () => this.applyClaimed(handle, offset, data));
    const remote = onSecondaries(request.secondaries, (address) =>
      this.forwarder.apply(address, {
        handle,
        version,
        offset,
        dataId: request.dataId,
        length: request.length,
        serial,
      }),
    );
    await settleAll([local, ...remote]);
  }

  private async applyClaimed(handle: string, offsetBytes: number, data: ClaimedData | GfsError): Promise<void> {
    if (data instanceof GfsError) throw data;
    try {
      await this.storeClaimed(handle, offsetBytes, data);
    } finally {
      data.release();
    }
  }

  /** Writes claimed bytes to this replica (the caller releases them). */
  private async storeClaimed(handle: string, offsetBytes: number, data: ClaimedData): Promise<void> {
    await this.deps.store.write(handle, offsetBytes, data.pieces, data.bytes, data.blockCrcs);
    this.deps.onBytesWritten(data.bytes);
  }

  private checkVersion(handle: string, version: number): void {
    const stored = this.deps.store.versionOf(checkHandle(handle));
    if (stored === undefined) throw new GfsError('CHUNK_NOT_FOUND', 'no replica of this chunk here', handle);
    if (stored !== version) {
      throw new GfsError('STALE_VERSION', `replica is at version ${stored}, request says ${version}`, handle);
    }
  }

  private checkRange(request: { handle: string; offset: number; length: number }): void {
    if (request.offset + request.length > this.deps.store.chunkSizeBytes) {
      throw new GfsError(
        'INVALID_ARGUMENT',
        `write past the chunk size ${this.deps.store.chunkSizeBytes}`,
        request.handle,
      );
    }
  }
}

/** The same call to every secondary; a failure is named by the secondary's address. */
function onSecondaries(addresses: readonly string[], send: (address: string) => Promise<unknown>): Promise<unknown>[] {
  return addresses.map((address) =>
    send(address).catch((error: unknown) => {
      throw replicaFailed(address, error);
    }),
  );
}

/** Waits for every promise; then throws the first failure (the local one first). */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

/** A secondary's failure, named by its address so the client knows whom it concerns. */
function replicaFailed(address: string, error: unknown): GfsError {
  const reason = error instanceof Error ? error.message : String(error);
  const code = error instanceof GfsError ? `${error.code}: ` : '';
  return new GfsError('REPLICA_FAILED', `secondary ${address} failed (${code}${reason})`, address);
}
