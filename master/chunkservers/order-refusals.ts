// A chunkserver that refuses the master's orders (grants, cuts, clones …) as UNAUTHENTICATED does
// not share the master's secret: it holds another one, or one of the two runs with --insecure.
// Every order to it fails the same way, so the master says so once per chunkserver and reason, as
// an error naming the fix, rather than once per order.

import { GfsError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { OncePerKey } from '../../shared/once-per-key.js';

export class OrderRefusals {
  private readonly logged = new OncePerKey();

  constructor(
    private readonly logger: Logger,
    /** The master runs with --insecure: it signs nothing. */
    private readonly insecure: boolean,
  ) {}

  /** `order`'s outcome, unchanged; a refusal for want of the secret is logged the first time. */
  async watch<T>(address: string, order: Promise<T>): Promise<T> {
    try {
      return await order;
    } catch (error) {
      if (error instanceof GfsError && error.code === 'UNAUTHENTICATED') this.note(address, error);
      throw error;
    }
  }

  private note(address: string, error: GfsError): void {
    if (!this.logged.first(`${address} ${error.message}`)) return;
    const fix = this.insecure
      ? 'this master runs with --insecure: run every server of the cluster with --insecure, or none'
      : "give every chunkserver the master's DATA/cluster.secret (--secret-file or GFS_SECRET)";
    this.logger.error(
      { chunkserver: address, subject: error.subject },
      `chunkserver ${address} refused the master's order: ${error.message}; ${fix} (logged once per chunkserver)`,
    );
  }
}
