// The primary's applies to one secondary, gathered per event-loop turn: with many appends in
// flight, the mutations ordered in the same turn travel in one /chunk/apply-batch request instead
// of one request each (the fixed cost per request is what bounds small appends). A lone mutation
// still goes as a plain /chunk/apply.

import { errorFromBody } from '../../shared/errors.js';
import type { RpcClient } from '../../shared/http/client.js';
import type { BodyOf } from '../../shared/http/route.js';
import { APPLY_BATCH_MAX, applyBatchRoute, applyRoute } from '../../shared/protocol/data.js';

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
