// The control side of a mutation (GFS §3.1): the primary orders a write with a serial number,
// applies it and forwards it to every secondary in parallel; a secondary applies what the primary
// forwards, in serial order. Also version grants from the master and sync.

import { GfsError } from '../../shared/errors.js';
import type { RpcClient } from '../../shared/http/client.js';
import type { BodyOf } from '../../shared/http/route.js';
import type { Logger } from '../../shared/log.js';
import { applyRoute, type grantRoute, type writeRoute } from '../../shared/protocol/data.js';
import type { ClaimedData, PushBuffer } from '../push/push-buffer.js';
import type { ChunkStore } from '../store/chunk-store.js';
import { checkHandle } from '../store/handle.js';
import type { LeaseTable } from './lease-table.js';
import type { SerialQueues } from './serial-queue.js';

export type WriteRequest = BodyOf<typeof writeRoute>;
export type ApplyRequest = BodyOf<typeof applyRoute>;
export type GrantRequest = BodyOf<typeof grantRoute>;

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
  constructor(private readonly deps: MutatorDeps) {}

  /** Client → primary. Resolves with the serial once every replica applied the write. */
  async write(request: WriteRequest): Promise<{ serial: number }> {
    const { leases, queues } = this.deps;
    const { handle, version } = request;
    this.checkVersion(handle, version);
    this.checkRange(request);
    leases.check(handle, version);
    // Everything that can refuse the write happens before a serial is taken: once taken, a serial
    // must reach the queue and every secondary, or they would wait for it until the gap timeout.
    const data = this.deps.buffer.claim(request.dataId, request.length);
    const serial = leases.nextSerial(handle, version);
    const local = queues.submit(handle, version, serial, () => this.applyClaimed(handle, request.offset, data));
    const remote = request.secondaries.map((address) =>
      this.deps.rpc
        .call(address, applyRoute, {
          handle,
          version,
          offset: request.offset,
          dataId: request.dataId,
          length: request.length,
          serial,
        })
        .catch((error: unknown) => {
          throw replicaFailed(address, error);
        }),
    );
    const [localResult, ...remoteResults] = await Promise.allSettled([local, ...remote]);
    if (localResult?.status === 'rejected') throw localResult.reason;
    for (const result of remoteResults) if (result.status === 'rejected') throw result.reason;
    this.deps.logger.debug({ handle, version, serial, offset: request.offset, bytes: request.length }, 'write applied');
    return { serial };
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

  private async applyClaimed(handle: string, offsetBytes: number, data: ClaimedData | GfsError): Promise<void> {
    if (data instanceof GfsError) throw data;
    try {
      await this.deps.store.write(handle, offsetBytes, data.pieces, data.bytes, data.blockCrcs);
      this.deps.onBytesWritten(data.bytes);
    } finally {
      data.release();
    }
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

/** A secondary's failure, named by its address so the client knows whom it concerns. */
function replicaFailed(address: string, error: unknown): GfsError {
  const reason = error instanceof Error ? error.message : String(error);
  const code = error instanceof GfsError ? `${error.code}: ` : '';
  return new GfsError('REPLICA_FAILED', `secondary ${address} failed (${code}${reason})`, address);
}
