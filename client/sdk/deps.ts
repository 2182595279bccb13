// What the SDK's data-path modules share within one GfsClient: one RPC agent, the master's API,
// the location and lease caches.

import type { RpcClient } from '../../shared/http/client.js';
import type { Logger } from '../../shared/log.js';
import type { LeaseCache } from './lease-cache.js';
import type { Locator } from './locator.js';
import type { MasterApi } from './master-api.js';

export interface SdkDeps {
  rpc: RpcClient;
  master: MasterApi;
  locator: Locator;
  leases: LeaseCache;
  /** GfsClientOptions.logger: failed RPCs and retries at debug. */
  logger?: Logger | undefined;
}
