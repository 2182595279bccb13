// The primary's applies to one secondary, gathered per event-loop turn: with many appends in
// flight, the mutations ordered in the same turn travel in one /chunk/apply-batch request instead
// of one request each (the fixed cost per request is what bounds small appends). A lone mutation
// still goes as a plain /chunk/apply. Inline writes carry their bytes, so each of their applies
// is its own /chunk/apply-inline request.

import { errorFromBody } from '../../shared/errors.js';
import { errorFromResponse, type RpcClient, unavailable } from '../../shared/http/client.js';
import type { BodyOf } from '../../shared/http/route.js';
import {
  APPLY_BATCH_MAX,
  applyBatchRoute,
  applyInlinePath,
  applyRoute,
  BODY_CRC_HEADER,
} from '../../shared/protocol/data.js';
import type { PushedData } from '../push/push-buffer.js';

type Apply = BodyOf<typeof applyRoute>;

interface Waiting {
  mutation: Apply;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class ApplyForwarder {
  private readonly queues = new Map<string, Waiting[]>();

  constructor(private readonly rpc: RpcClient) {}

  /** Resolves once `address` has applied the mutation. */
  apply(address: string, mutation: Apply): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let queue = this.queues.get(address);
      if (queue === undefined) {
        queue = [];
        this.queues.set(address, queue);
        setImmediate(() => this.flush(address));
      }
      queue.push({ mutation, resolve, reject });
    });
  }

  /** Sends an inline write's bytes with its apply; resolves once `address` has applied them. */
  async applyInline(
    address: string,
    apply: { handle: string; version: number; offset: number; serial: number },
    data: PushedData,
  ): Promise<void> {
    const body = data.pieces.length === 1 ? (data.pieces[0] as Buffer) : Buffer.concat(data.pieces, data.bytes);
    const response = await this.rpc.request(address, {
      method: 'PUT',
      path: applyInlinePath(apply.handle, apply.version, apply.offset, apply.serial),
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(data.bytes),
        [BODY_CRC_HEADER]: String(data.crc32c),
      },
      body: body.subarray(0, data.bytes),
    });
    if (response.statusCode >= 400) throw await errorFromResponse(response, address);
    await response.body.text().catch((error: unknown) => {
      throw unavailable(address, error);
    });
  }

  private flush(address: string): void {
    const queue = this.queues.get(address) ?? [];
    this.queues.delete(address);
    for (let start = 0; start < queue.length; start += APPLY_BATCH_MAX) {
      void this.send(address, queue.slice(start, start + APPLY_BATCH_MAX));
    }
  }

  private async send(address: string, batch: Waiting[]): Promise<void> {
    try {
      if (batch.length === 1) {
        const [only] = batch as [Waiting];
        await this.rpc.call(address, applyRoute, only.mutation);
        only.resolve();
        return;
      }
      const { results } = await this.rpc.call(address, applyBatchRoute, {
        mutations: batch.map((waiting) => waiting.mutation),
      });
      batch.forEach((waiting, i) => {
        const result = results[i];
        if (result === null) waiting.resolve();
        else waiting.reject(errorFromBody(500, result ?? { message: 'no result for this mutation' }, address));
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
    }
  }
}
